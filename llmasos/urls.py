from __future__ import annotations

from django.contrib import admin
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import URLPattern, URLResolver, include, path, re_path
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts import views as accounts_views
from accounts.api import obtain_auth_token
from courses import urls as courses_urls
from llmasos.api import not_found_json
from portal import urls as portal_urls


@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


admin.site.site_header = _("LLMasOS administration")
admin.site.site_title = _("LLMasOS admin")

api_patterns: list[URLPattern | URLResolver] = [
    path("", include("courses.api_urls")),
    path("", include("knowledge.api_urls")),
    path("", include("tutor.api_urls")),
    path("", include("grading.api_urls")),
    path("", include("playground.api_urls")),
    path("", include("learning.api_urls")),
    path("", include("assist.api_urls")),
    path("", include("lab.api_urls")),
    path("auth/token/", obtain_auth_token, name="api-token"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file: no inline script, so the
    # Content-Security-Policy (llmasos/csp.py) holds on the docs page too.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    re_path(r"^.*$", not_found_json),
]

urlpatterns = [
    path("", include(portal_urls.urlpatterns)),
    path("accounts/", include("accounts.urls")),
    # Django's set_language (what `django.conf.urls.i18n` mounts), wrapped so a signed-in user's
    # choice is also kept on their profile.
    path("i18n/setlang/", accounts_views.set_language, name="set_language"),
    # The interface's JavaScript strings in the page's language (static/js: gettext, interpolate).
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    # LTI 1.3: /lti/... for the LMS, /courses/<slug>/lms/ for the teacher.
    path("", include("lti.urls")),
    # One `courses` namespace for the courses app's pages and the lesson page the portal composes
    # (it shows the tutor panel), so `courses:lesson` keeps its name; the portal's come last.
    path(
        "courses/",
        include(([*courses_urls.urlpatterns, *portal_urls.course_patterns], courses_urls.app_name)),
    ),
    path("courses/", include("knowledge.urls")),
    path("courses/", include("tutor.urls")),
    path("courses/", include("grading.urls")),
    path("courses/", include("learning.urls")),
    path("", include("assist.urls")),
    path("playground/", include("playground.urls")),
    path("lab/", include("lab.urls")),
    path("notifications/", include("notifications.urls")),
    path("api/", include(api_patterns)),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
]
