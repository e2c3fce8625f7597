"""`{% ai_rule course lesson=... assignment=... as ai %}`: the teachers' rule where a student asks.

Pages show `ai.notice` where the ask button would be, and leave the button out when `ai.off`:
a student reads why instead of pressing a dead button. The course's teachers are not limited
(`ai.exempt`), so they keep the button and read what their students see.
"""

from __future__ import annotations

from typing import Any

from django import template

from assist.models import AIMode, AINoticeAccepted
from assist.policy import is_student_here, rule_for

register = template.Library()


@register.simple_tag(takes_context=True)
def ai_rule(
    context: template.Context, course: Any, lesson: Any = None, assignment: Any = None
) -> dict[str, Any]:
    user = context.get("user")
    if course is None and assignment is None and lesson is None:
        return {"notice": "", "off": False, "exempt": False, "needs_notice": False}
    rule = rule_for(course=course, lesson=lesson or None, assignment=assignment or None)
    course_id = course.pk if course else getattr(assignment or lesson, "course_id", None)
    exempt = not is_student_here(user, course_id)
    return {
        "notice": rule.notice,
        "off": rule.mode == AIMode.OFF,
        "exempt": exempt,
        # The one-time notice on what is logged, until the student has read it.
        "needs_notice": not exempt
        and not AINoticeAccepted.objects.filter(user_id=getattr(user, "pk", 0) or 0).exists(),
    }
