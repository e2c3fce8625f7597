"""Who may see and change what in a course. One place, used by views, the API and consumers.

The predicates (`is_course_teacher`, `can_read_lessons`, ...) answer yes or no. The lookups
(`course_for_viewer`, `course_for_reader`, `course_for_teacher`) turn a slug from a URL into a
course or raise Django's `Http404` / `PermissionDenied`: Django renders those as the 404/403
pages and DRF as JSON `{"detail": ...}` with the same status, so a page and its API twin share
one rule and one message.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from courses.models import Course, Enrollment

TEACHERS_ONLY = _("Only this course's teachers can do that.")
ENROLL_TO_READ = _("Enroll in this course to read its lessons.")


def is_course_teacher(user: Any, course: Course) -> bool:
    if not user.is_authenticated:
        return False
    return user.is_platform_admin or course.teachers.filter(pk=user.pk).exists()


def is_enrolled(user: Any, course: Course) -> bool:
    if not user.is_authenticated:
        return False
    return Enrollment.objects.filter(user=user, course=course).exists()


def can_view_course(user: Any, course: Course) -> bool:
    """The course page (syllabus): anyone for a published course, its teachers for a draft."""
    return course.is_published or is_course_teacher(user, course)


def can_read_lessons(user: Any, course: Course) -> bool:
    """Lesson contents: the course's teachers, and students enrolled in the published course."""
    if is_course_teacher(user, course):
        return True
    return course.is_published and is_enrolled(user, course)


def _not_found(slug: str) -> Http404:
    # One answer for a missing course and a draft the user may not see: a draft's slug is
    # not confirmed to outsiders.
    return Http404(gettext("No course “%(slug)s”.") % {"slug": slug})


def course_for_viewer(*, user: Any, slug: str) -> Course:
    """The course whose page `user` may see; else 404, for a missing course and a hidden draft."""
    course = Course.objects.filter(slug=slug).first()
    if course is None or not can_view_course(user, course):
        raise _not_found(slug)
    return course


def course_for_reader(*, user: Any, slug: str, denied: str | Promise = ENROLL_TO_READ) -> Course:
    """The course whose lessons (and what hangs off them) `user` may read.

    404 when the user may not even see the course; 403 with `denied` when they may see it but
    not read it (not enrolled). Each feature says in `denied` what enrolling would give.
    """
    course = course_for_viewer(user=user, slug=slug)
    if not can_read_lessons(user, course):
        raise PermissionDenied(denied)
    return course


def course_for_teacher(
    *, user: Any, slug: str, denied: str | Promise = TEACHERS_ONLY, hide_draft: bool = True
) -> Course:
    """The course `user` teaches (or any course for an admin); else 403 with `denied`.

    With `hide_draft` (the API) an outsider gets 404 for a draft, as from `course_for_viewer`.
    The pages have always answered 403 there (`hide_draft=False`); kept so that no page changes.
    """
    course = (
        course_for_viewer(user=user, slug=slug)
        if hide_draft
        else Course.objects.filter(slug=slug).first()
    )
    if course is None:
        raise _not_found(slug)
    if not is_course_teacher(user, course):
        raise PermissionDenied(denied)
    return course
