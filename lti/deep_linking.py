"""Deep linking: a teacher inside the LMS picks what a new link opens.

The choices are what the teacher teaches here. Each chosen item goes back as an LTI resource
link whose custom parameter is a signed placement token (see launch.py), with a line item for
an assignment so the LMS opens a gradebook column for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext
from lti_tool.models import LtiDeployment
from pylti1p3.deep_link_resource import DeepLinkResource
from pylti1p3.lineitem import LineItem

from courses.models import Course, Lesson
from grading.models import Assignment
from lti.launch import PLACEMENT_PARAM, placement_token
from lti.models import Target


@dataclass(frozen=True)
class Choice:
    key: str  # "<target>:<id>", the value of the picker's checkbox
    title: str  # what the LMS shows on the link: the item's own title
    target: Target
    pk: int

    @property
    def label(self) -> str:
        """What the teacher reads in the picker: the kind, then the title."""
        return gettext("%(kind)s: %(title)s") % {"kind": self.target.label, "title": self.title}


def choices_for(*, user: Any) -> list[tuple[Course, list[Choice]]]:
    """What the teacher may place: their courses, each course's lessons and assignments."""
    courses = Course.objects.all() if user.is_platform_admin else Course.objects.taught_by(user)
    grouped = []
    for course in courses.order_by("title"):
        items = [
            Choice(f"course:{course.pk}", course.title, Target.COURSE, course.pk),
            Choice(f"tutor:{course.pk}", course.title, Target.TUTOR, course.pk),
        ]
        for lesson in Lesson.objects.filter(course=course).order_by("module__position", "position"):
            items.append(Choice(f"lesson:{lesson.pk}", lesson.title, Target.LESSON, lesson.pk))
        for assignment in Assignment.objects.filter(course=course).order_by("position", "id"):
            items.append(
                Choice(
                    f"assignment:{assignment.pk}",
                    assignment.title,
                    Target.ASSIGNMENT,
                    assignment.pk,
                )
            )
        grouped.append((course, items))
    return grouped


def resources_for(
    *, user: Any, keys: list[str], deployment: LtiDeployment, context_id: str, launch_url: str
) -> list[DeepLinkResource]:
    """The content items for the chosen keys; keys the teacher may not place are ignored."""
    allowed = {c.key: c for _, items in choices_for(user=user) for c in items}
    resources = []
    for key in keys:
        choice = allowed.get(key)
        if choice is None:
            continue
        token = placement_token(
            deployment=deployment, context_id=context_id, target=choice.target, pk=choice.pk
        )
        resource = (
            DeepLinkResource()
            .set_url(launch_url)
            .set_title(choice.title)
            .set_custom_params({PLACEMENT_PARAM: token})
        )
        if choice.target == Target.ASSIGNMENT:
            assignment = Assignment.objects.get(pk=choice.pk)
            resource.set_lineitem(
                LineItem()
                .set_label(assignment.title)
                .set_score_maximum(float(assignment.max_score))
                .set_resource_id(f"assignment-{assignment.pk}")
            )
        resources.append(resource)
    return resources
