"""What a validated launch does here: link the LMS user, map their role, open the target.

Targets are only ever set by LLMasOS: a deep-linking response carries a signed placement
token as a custom parameter, and the first launch of that link turns it into a Placement.
Custom parameters an LMS instructor types by hand are not trusted, since a teacher role on
the linked course follows from them.
"""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import urlsplit

from django.contrib.auth import get_user_model
from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.translation import gettext
from lti_tool.models import LtiDeployment, LtiRegistration, LtiUser

from accounts.models import Role
from courses.models import Course, Enrollment
from lti.models import CourseContext, Placement, Target

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
ROLES = CLAIM + "roles"
CONTEXT = CLAIM + "context"
RESOURCE_LINK = CLAIM + "resource_link"
CUSTOM = CLAIM + "custom"
DEPLOYMENT = CLAIM + "deployment_id"
PRESENTATION = CLAIM + "launch_presentation"
AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
PLACEMENT_PARAM = "llmasos_placement"
PLACEMENT_SALT = "lti.placement"
ENTER_SALT = "lti.enter"
ENTER_MAX_AGE = 120  # seconds between the launch and the click that opens the new window

INSTRUCTOR_ROLES = ("#Instructor", "#Administrator", "#ContentDeveloper", "#TeachingAssistant")


class LaunchRefused(Exception):
    """A valid launch we still cannot serve; the message is shown to the LMS user."""


def is_instructor(roles: list[str]) -> bool:
    # Context roles first; institution roles count as well (a Moodle admin launching a link).
    return any(role.endswith(INSTRUCTOR_ROLES) for role in roles)


def is_learner(roles: list[str]) -> bool:
    return any(role.endswith("#Learner") for role in roles)


def placement_token(*, deployment: LtiDeployment, context_id: str, target: Target, pk: int) -> str:
    return signing.dumps(
        {"d": deployment.pk, "c": context_id, "t": str(target), "id": pk}, salt=PLACEMENT_SALT
    )


def _username_for(registration: LtiRegistration, sub: str) -> str:
    digest = hashlib.sha256(f"{registration.issuer}|{registration.client_id}|{sub}".encode())
    return f"lti-{digest.hexdigest()[:20]}"


def lms_user_link(*, registration: LtiRegistration, claims: dict[str, Any]) -> Any:
    """The LLMasOS account of the LMS user, found by the platform's subject (`sub`), created on
    their first launch. Names and email follow the LMS; the password stays unusable (they sign
    in through the LMS)."""
    sub = str(claims.get("sub") or "")
    if not sub:
        raise LaunchRefused(
            gettext("The LMS sent an anonymous launch; LLMasOS needs a signed-in user.")
        )
    try:
        with transaction.atomic():
            lti_user, _ = LtiUser.objects.select_for_update().get_or_create(
                registration=registration, sub=sub
            )
    except IntegrityError:
        # Two first launches of the same person at once: the other one made the row.
        lti_user = LtiUser.objects.select_for_update().get(registration=registration, sub=sub)
    lti_user.given_name = str(claims.get("given_name") or "")[:500]
    lti_user.family_name = str(claims.get("family_name") or "")[:500]
    lti_user.name = str(claims.get("name") or "")[:500]
    lti_user.email = str(claims.get("email") or "")[:254]
    if lti_user.auth_user is None:
        User = get_user_model()
        user = User(
            username=_username_for(registration, sub),
            first_name=lti_user.given_name[:150] or lti_user.name[:150],
            last_name=lti_user.family_name[:150],
            email=lti_user.email,
        )
        user.set_unusable_password()
        user.save()
        lti_user.auth_user = user
    lti_user.save()
    return lti_user.auth_user


def role_apply(*, user: Any, course: Course, roles: list[str]) -> str:
    """Instructor → a teacher of the course; Learner → enrolled. Returns the role applied."""
    if not user.is_active:
        raise LaunchRefused(gettext("This LLMasOS account is deactivated."))
    if is_instructor(roles):
        if user.role == Role.STUDENT:
            user.role = Role.TEACHER
            user.save(update_fields=["role", "is_staff", "is_superuser"])
        course.teachers.add(user)
        return "teacher"
    if is_learner(roles):
        if not course.is_published and not course.teachers.filter(pk=user.pk).exists():
            raise LaunchRefused(
                gettext("This course is not open yet; ask your teacher to publish it.")
            )
        if not course.teachers.filter(pk=user.pk).exists():
            Enrollment.objects.get_or_create(user=user, course=course)
        return "student"
    raise LaunchRefused(
        gettext("Your LMS role gives no access to LLMasOS (only teachers and learners).")
    )


def placement_resolve(*, deployment: LtiDeployment, claims: dict[str, Any]) -> Placement:
    """The placement a resource link opens: known by its id, or made from our signed token."""
    link = claims.get(RESOURCE_LINK) or {}
    link_id = str(link.get("id") or "")
    if not link_id:
        raise LaunchRefused(gettext("The launch names no resource link."))
    context_id = str((claims.get(CONTEXT) or {}).get("id") or "")
    ags = claims.get(AGS) or {}
    placement = Placement.objects.filter(deployment=deployment, resource_link_id=link_id).first()
    if placement is None:
        token = str((claims.get(CUSTOM) or {}).get(PLACEMENT_PARAM) or "")
        try:
            data = signing.loads(token, salt=PLACEMENT_SALT)
        except signing.BadSignature as error:
            raise LaunchRefused(
                "This link does not point at anything in LLMasOS yet: a teacher adds it with "
                "the LMS's “select content” (deep linking)."
            ) from error
        if data.get("d") != deployment.pk or data.get("c") != context_id:
            raise LaunchRefused(gettext("This link was made for another LMS course."))
        placement = _placement_from(data, deployment=deployment, link_id=link_id)
        placement.context_id = context_id
        placement.title = str(link.get("title") or "")[:255]
    if ags.get("lineitem"):
        placement.lineitem_url = str(ags["lineitem"])
        placement.ags_scopes = list(ags.get("scope") or [])
    try:
        with transaction.atomic():
            placement.save()
    except IntegrityError:
        # The link's first two launches raced; the other one placed it.
        placement = Placement.objects.get(deployment=deployment, resource_link_id=link_id)
    return placement


def _placement_from(data: dict[str, Any], *, deployment: LtiDeployment, link_id: str) -> Placement:
    from courses.models import Lesson
    from grading.models import Assignment

    target = Target(data["t"])
    placement = Placement(deployment=deployment, resource_link_id=link_id, target=target)
    if target == Target.LESSON:
        lesson = Lesson.objects.select_related("course").filter(pk=data["id"]).first()
        if lesson is None:
            raise LaunchRefused(gettext("The lesson this link opened was deleted."))
        placement.lesson, placement.course = lesson, lesson.course
    elif target == Target.ASSIGNMENT:
        assignment = Assignment.objects.select_related("course").filter(pk=data["id"]).first()
        if assignment is None:
            raise LaunchRefused(gettext("The assignment this link opened was deleted."))
        placement.assignment, placement.course = assignment, assignment.course
    else:
        course = Course.objects.filter(pk=data["id"]).first()
        if course is None:
            raise LaunchRefused(gettext("The course this link opened was deleted."))
        placement.course = course
    return placement


def context_record(
    *, deployment: LtiDeployment, course: Course, claims: dict[str, Any]
) -> CourseContext | None:
    context = claims.get(CONTEXT) or {}
    if not context.get("id"):
        return None
    record, _ = CourseContext.objects.get_or_create(
        deployment=deployment, context_id=str(context["id"]), course=course
    )
    record.title = str(context.get("title") or context.get("label") or "")[:255]
    memberships = (claims.get(NRPS) or {}).get("context_memberships_url")
    if memberships:
        record.memberships_url = str(memberships)
    record.save()
    return record


def placement_url(placement: Placement) -> str:
    if placement.target == Target.LESSON and placement.lesson is not None:
        return placement.lesson.get_absolute_url()
    if placement.target == Target.ASSIGNMENT and placement.assignment is not None:
        return placement.assignment.get_absolute_url()
    if placement.target == Target.TUTOR:
        return reverse("tutor:course", args=[placement.course.slug])
    return placement.course.get_absolute_url()


@transaction.atomic
def resource_launch(
    *, registration: LtiRegistration, deployment: LtiDeployment, claims: dict[str, Any]
) -> tuple[Any, Placement, str]:
    """All the writes of a resource launch, together or not at all."""
    placement = placement_resolve(deployment=deployment, claims=claims)
    user = lms_user_link(registration=registration, claims=claims)
    role = role_apply(user=user, course=placement.course, roles=list(claims.get(ROLES) or []))
    context_record(deployment=deployment, course=placement.course, claims=claims)
    return user, placement, role


def enter_token(*, user: Any, next_url: str, launch_id: str) -> str:
    return signing.dumps({"u": user.pk, "n": next_url, "j": launch_id}, salt=ENTER_SALT)


def enter_redeem(token: str) -> tuple[Any, str]:
    """The account and page an enter link opens; each link works once, for two minutes."""
    from lti.models import UsedNonce

    try:
        data = signing.loads(token, salt=ENTER_SALT, max_age=ENTER_MAX_AGE)
    except signing.SignatureExpired as error:
        raise LaunchRefused(
            gettext("This link has expired; open LLMasOS from the LMS again.")
        ) from error
    except signing.BadSignature as error:
        raise LaunchRefused(gettext("This link is not valid.")) from error
    _, created = UsedNonce.objects.get_or_create(nonce=f"enter:{data['j']}")
    if not created:
        raise LaunchRefused(gettext("This link was already used; open LLMasOS from the LMS again."))
    user = get_user_model().objects.filter(pk=data["u"], is_active=True).first()
    next_url = str(data["n"])
    if user is None or urlsplit(next_url).netloc or not next_url.startswith("/"):
        raise LaunchRefused(gettext("This link is not valid."))
    return user, next_url


def platform_origins(*, registration: LtiRegistration, claims: dict[str, Any]) -> list[str]:
    """The origins allowed to frame a launch page: the platform's own URLs and the return URLs
    its signed launch names (Canvas frames from the school's domain, not its issuer)."""
    urls = [registration.issuer, registration.auth_url]
    urls.append(str((claims.get(PRESENTATION) or {}).get("return_url") or ""))
    dl = claims.get("https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings") or {}
    urls.append(str(dl.get("deep_link_return_url") or ""))
    origins = []
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme in ("http", "https") and parts.netloc:
            origin = f"{parts.scheme}://{parts.netloc}"
            if origin not in origins:
                origins.append(origin)
    return origins
