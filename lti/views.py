"""LTI endpoints: JWKS, OIDC login initiation, launch, deep linking, the enter link, and the
teacher's grade-passback page. The platform POSTs cross-site, so the launch and deep-linking
posts are CSRF-exempt: the signed id_token (or our signed token) is what authenticates them."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import login as auth_login
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from lti_tool.models import Key, LtiDeployment, LtiRegistration
from pylti1p3.contrib.django import DjangoCacheDataStorage, DjangoOIDCLogin
from pylti1p3.deep_link import DeepLink
from pylti1p3.exception import LtiException, OIDCException

from courses.access import course_for_teacher
from lti import deep_linking, grades, launch
from lti import registration as tool_registration
from lti.framing import frame_for
from lti.models import CourseContext, GradeSync, Placement
from lti.tool_config import MessageLaunch, ToolConfig, message_launch

DEEP_LINK_SALT = "lti.deep-link"
DEEP_LINK_MAX_AGE = 600
DEEP_LINKING_SETTINGS = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"


def _error(request: HttpRequest, message: str, *, status: int = 400) -> HttpResponse:
    response = render(request, "lti/error.html", {"message": message}, status=status)
    # Shown inside the LMS frame, where the failed launch was; which platform sent it is not
    # known (the token was refused), so any registered platform may frame it.
    origins: list[str] = []
    for known in LtiRegistration.objects.filter(is_active=True):
        for origin in launch.platform_origins(registration=known, claims={}):
            if origin not in origins:
                origins.append(origin)
    return frame_for(response, origins=origins)


@require_GET
def jwks(request: HttpRequest) -> JsonResponse:
    """The tool's public keys; the LMS checks our signatures (AGS, NRPS, deep linking) here."""
    tool_registration.tool_key_ensure()
    return JsonResponse(Key.objects.as_jwks())


def _launch_url(request: HttpRequest) -> str:
    return request.build_absolute_uri(reverse("lti:launch"))


@csrf_exempt
@require_http_methods(["GET", "POST"])
def login(request: HttpRequest) -> HttpResponse:
    """OIDC third-party login initiation. Inside an LMS frame with third-party cookies blocked
    the state cookie would be lost, so the page first checks (static/js/lti-login.js) and
    otherwise offers to continue in a new window, where the cookie is first-party."""
    params = request.POST if request.method == "POST" else request.GET
    oidc = DjangoOIDCLogin(request, ToolConfig(), launch_data_storage=DjangoCacheDataStorage())
    try:
        redirect_object = oidc.get_redirect_object(_launch_url(request))
    except (OIDCException, LtiException, AssertionError) as error:
        return _error(
            request, _("This LMS is not registered with LLMasOS: %(error)s") % {"error": error}
        )
    if params.get("lti1p3_new_window"):
        return redirect_object.do_redirect()
    query = {key: params[key] for key in params if key != "lti1p3_new_window"}
    new_window = reverse("lti:login") + "?" + urlencode({**query, "lti1p3_new_window": "1"})
    response = render(
        request,
        "lti/login.html",
        {"auth_url": redirect_object.get_redirect_url(), "new_window_url": new_window},
    )
    redirect_object._process_response(response)  # type: ignore[attr-defined]  # the state cookie
    registration = LtiRegistration.objects.filter(
        issuer=params.get("iss", ""), client_id=params.get("client_id", "")
    ).first()
    origins = launch.platform_origins(registration=registration, claims={}) if registration else []
    return frame_for(response, origins=origins)


@csrf_exempt
@require_POST
def launch_view(request: HttpRequest) -> HttpResponse:
    try:
        message = message_launch(request)
    except (LtiException, AssertionError) as error:
        return _error(
            request,
            _("The launch from your LMS was refused: %(error)s") % {"error": error},
            status=403,
        )
    claims: dict[str, Any] = dict(message.get_launch_data())
    config: ToolConfig = message.get_tool_conf()
    registration, deployment = config.registration, config.deployment
    assert registration is not None and deployment is not None
    origins = launch.platform_origins(registration=registration, claims=claims)
    try:
        if message.is_deep_link_launch():
            return frame_for(
                _deep_link_picker(request, message, registration, deployment, claims),
                origins=origins,
            )
        if not message.is_resource_launch():
            raise launch.LaunchRefused(
                _("LLMasOS answers resource and deep-linking launches only.")
            )
        user, placement, role = launch.resource_launch(
            registration=registration, deployment=deployment, claims=claims
        )
    except launch.LaunchRefused as error:
        return _error(request, str(error), status=403)
    next_url = launch.placement_url(placement)
    target = (claims.get(launch.PRESENTATION) or {}).get("document_target")
    if target == "window":
        # A top-level window: first-party cookies work, so sign in and go straight there.
        auth_login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect(next_url)
    token = launch.enter_token(user=user, next_url=next_url, launch_id=message.get_launch_id())
    response = render(
        request,
        "lti/launched.html",
        {"placement": placement, "role": role, "enter_url": reverse("lti:enter", args=[token])},
    )
    return frame_for(response, origins=origins)


def _deep_link_picker(
    request: HttpRequest,
    message: MessageLaunch,
    registration: LtiRegistration,
    deployment: Any,
    claims: dict[str, Any],
) -> HttpResponse:
    if not launch.is_instructor(list(claims.get(launch.ROLES) or [])):
        raise launch.LaunchRefused(_("Only a teacher of the LMS course can add LLMasOS content."))
    user = launch.lms_user_link(registration=registration, claims=claims)
    context_id = str((claims.get(launch.CONTEXT) or {}).get("id") or "")
    # Third-party cookies may be blocked in the frame (and PyLTI1p3's cached launch is keyed
    # by a cookie under HTTPS), so the picker carries a signed, short-lived capability with
    # what the answer needs instead of a session.
    token = signing.dumps(
        {
            "u": user.pk,
            "d": deployment.pk,
            "c": context_id,
            "dl": claims[DEEP_LINKING_SETTINGS],
            "r": launch.platform_origins(registration=registration, claims=claims),
        },
        salt=DEEP_LINK_SALT,
    )
    return render(
        request,
        "lti/deep_link.html",
        {"groups": deep_linking.choices_for(user=user), "token": token, "lms_user": user},
    )


@csrf_exempt
@require_POST
def deep_link_answer(request: HttpRequest) -> HttpResponse:
    try:
        data = signing.loads(
            request.POST.get("token", ""), salt=DEEP_LINK_SALT, max_age=DEEP_LINK_MAX_AGE
        )
    except signing.BadSignature:
        return _error(request, _("This selection has expired; start again from the LMS."))
    user = get_object_or_404(get_user_model(), pk=data["u"], is_active=True)
    deployment = get_object_or_404(
        LtiDeployment.objects.select_related("registration"),
        pk=data["d"],
        is_active=True,
        registration__is_active=True,
    )
    resources = deep_linking.resources_for(
        user=user,
        keys=request.POST.getlist("item"),
        deployment=deployment,
        context_id=data["c"],
        launch_url=_launch_url(request),
    )
    settings_claim = data["dl"]
    deep_link = DeepLink(
        deployment.registration.to_registration(), deployment.deployment_id, settings_claim
    )
    return_url = str(settings_claim["deep_link_return_url"])
    response = render(
        request,
        "lti/deep_link_answer.html",
        {"return_url": return_url, "jwt": deep_link.get_response_jwt(resources)},
    )
    parts = urlsplit(return_url)
    origin = f"{parts.scheme}://{parts.netloc}"
    return frame_for(response, origins=data["r"], form_origins=[origin])


@require_GET
def enter(request: HttpRequest, token: str) -> HttpResponse:
    """The new window opened from a launch: sign in as the LMS user, once, and go on."""
    try:
        user, next_url = launch.enter_redeem(token)
    except launch.LaunchRefused as error:
        return _error(request, str(error), status=403)
    auth_login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return redirect(next_url)


@require_GET
def register(request: HttpRequest, token: str) -> HttpResponse:
    """LTI Dynamic Registration: the LMS opens this (our signed URL) with its configuration."""
    try:
        name = tool_registration.registration_token_check(
            token, max_age_days=settings.LTI_REGISTRATION_DAYS
        )
        openid_configuration = request.GET.get("openid_configuration", "")
        if not openid_configuration:
            raise tool_registration.RegistrationFailed(
                _("Paste this link into the LMS's “register a tool” (dynamic registration) page.")
            )
        platform = tool_registration.platform_register(
            openid_configuration=openid_configuration,
            registration_token=request.GET.get("registration_token", ""),
            base_url=request.build_absolute_uri("/").rstrip("/"),
            name=name,
        )
    except tool_registration.RegistrationFailed as error:
        return _error(request, str(error))
    response = render(request, "lti/registered.html", {"registration": platform})
    origins = launch.platform_origins(registration=platform, claims={})
    return frame_for(response, origins=origins)


@login_required
@require_GET
def course_lti(request: HttpRequest, slug: str) -> HttpResponse:
    """The teacher's view of a course inside LMSs: links, grades sent, rosters."""
    course = course_for_teacher(user=request.user, slug=slug)
    placements = Placement.objects.filter(course=course).select_related("assignment", "lesson")
    syncs = (
        GradeSync.objects.filter(placement__course=course)
        .select_related("placement__assignment", "student")
        .order_by("placement_id", "student__username")
    )
    contexts = CourseContext.objects.filter(course=course)
    return render(
        request,
        "lti/course_lti.html",
        {"course": course, "placements": placements, "syncs": syncs, "contexts": contexts},
    )


@login_required
@require_POST
def grade_resend(request: HttpRequest, slug: str, sync_id: int) -> HttpResponse:
    course = course_for_teacher(user=request.user, slug=slug)
    sync = get_object_or_404(GradeSync, pk=sync_id, placement__course=course)
    grades.grade_resend(sync=sync)
    messages.success(
        request,
        _("The grade of %(name)s is being sent again.") % {"name": sync.student.display_name},
    )
    return redirect("lti:course", slug=course.slug)


@login_required
@require_POST
def roster_sync(request: HttpRequest, slug: str, context_id: int) -> HttpResponse:
    from lti.tasks import roster_sync as roster_sync_task

    course = course_for_teacher(user=request.user, slug=slug)
    context = get_object_or_404(CourseContext, pk=context_id, course=course)
    roster_sync_task.delay_on_commit(context.pk)
    messages.success(request, _("The roster is being synced with the LMS."))
    return redirect("lti:course", slug=course.slug)
