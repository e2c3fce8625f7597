"""Roster sync (LTI Names and Role Provisioning Services).

Enrolls the LMS course's active learners and drops the ones who left (inactive, deleted or
gone from the list). Only enrollments this sync made are ever dropped (RosterMember): a
student who enrolled on their own keeps their place.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from courses.models import Enrollment
from lti import services
from lti.launch import is_learner, lms_user_link
from lti.models import CourseContext, RosterMember


def roster_sync(*, context: CourseContext) -> dict[str, int]:
    registration = context.deployment.registration
    try:
        members = services.nrps(
            registration=registration, memberships_url=context.memberships_url
        ).get_members()
    except Exception as error:
        CourseContext.objects.filter(pk=context.pk).update(sync_error=str(error)[:2000])
        raise
    course = context.course
    keep: set[int] = set()
    added = 0
    with transaction.atomic():
        for member in members:
            status = str(member.get("status") or "Active")
            if status != "Active" or not is_learner(list(member.get("roles") or [])):
                continue
            claims = {"sub": member.get("user_id"), **member}
            user = lms_user_link(registration=registration, claims=claims)
            if not user.is_active or course.teachers.filter(pk=user.pk).exists():
                continue
            keep.add(user.pk)
            _, created = Enrollment.objects.get_or_create(user=user, course=course)
            if created:
                RosterMember.objects.get_or_create(context=context, user=user)
            added += int(created)
        gone = RosterMember.objects.filter(context=context).exclude(user_id__in=keep)
        gone_users = list(gone.values_list("user_id", flat=True))
        Enrollment.objects.filter(course=course, user_id__in=gone_users).delete()
        gone.delete()
        context.synced_at = timezone.now()
        context.sync_error = ""
        context.save(update_fields=["synced_at", "sync_error"])
    return {"enrolled": added, "dropped": len(gone_users), "members": len(keep)}
