"""Course material pages: upload, live ingestion status, delete, download, search.

Mounted under /courses/<slug>/ (knowledge/urls.py) like the rest of a course's pages."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.http import AuthenticatedRequest
from courses.access import can_read_lessons, course_for_teacher, course_for_viewer
from knowledge import services
from knowledge.models import Material

MAX_FILES_PER_UPLOAD = 20
SEARCH_MAX_QUERY = 500


@login_required
@require_http_methods(["GET", "POST"])
def material_list(request: HttpRequest, slug: str) -> HttpResponse:
    course = course_for_teacher(user=request.user, slug=slug, hide_draft=False)
    if request.method == "POST":
        uploads = request.FILES.getlist("files")
        if not uploads:
            messages.error(request, _("Choose at least one file to upload."))
        elif len(uploads) > MAX_FILES_PER_UPLOAD:
            messages.error(
                request,
                _("Upload at most %(count)d files at once.") % {"count": MAX_FILES_PER_UPLOAD},
            )
        else:
            created = [
                services.material_create(course=course, uploaded_by=request.user, upload=upload)
                for upload in uploads
            ]
            failed = [m for m in created if m.error]
            if len(failed) < len(created):
                messages.success(
                    request,
                    ngettext(
                        "%(count)d file uploaded; it is being read and indexed.",
                        "%(count)d files uploaded; they are being read and indexed.",
                        len(created) - len(failed),
                    )
                    % {"count": len(created) - len(failed)},
                )
            for material in failed:
                messages.error(
                    request,
                    _("%(file)s: %(error)s")
                    % {"file": material.original_name, "error": material.error_text},
                )
        return redirect("knowledge:materials", slug=course.slug)
    materials = [m.as_status() for m in course.materials.select_related("course")]
    context = {
        "course": course,
        "materials": materials,
        "upload_limit_mb": settings.KB_MAX_UPLOAD_MB,
    }
    return render(request, "knowledge/materials.html", context)


@login_required
@require_POST
def material_delete(request: HttpRequest, slug: str, material_id: int) -> HttpResponse:
    course = course_for_teacher(user=request.user, slug=slug, hide_draft=False)
    material = get_object_or_404(Material, pk=material_id, course=course)
    services.material_delete(material=material)
    messages.success(
        request,
        _("“%(name)s” and its passages were removed.") % {"name": material.original_name},
    )
    return redirect("knowledge:materials", slug=course.slug)


@login_required
@require_GET
def material_file(request: HttpRequest, slug: str, material_id: int) -> FileResponse:
    course = course_for_viewer(user=request.user, slug=slug)
    if not can_read_lessons(request.user, course):
        raise PermissionDenied(_("Enroll in the course to open its material."))
    material = get_object_or_404(Material, pk=material_id, course=course)
    if not material.file:
        raise Http404(_("This material has no file (its upload was refused)."))
    content_type = {
        "pdf": "application/pdf",
        "html": "text/plain; charset=utf-8",
        "markdown": "text/plain; charset=utf-8",
        "text": "text/plain; charset=utf-8",
    }
    # HTML is served as plain text: an uploaded page must never run in our origin.
    response = FileResponse(
        material.file.open("rb"),
        content_type=content_type[material.kind],
        filename=material.original_name,
    )  # Django quotes the header safely
    response["Content-Security-Policy"] = "sandbox"
    return response


@login_required
@require_GET
def course_search(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    from knowledge.search import search

    course = course_for_viewer(user=request.user, slug=slug)
    if not can_read_lessons(request.user, course):
        raise PermissionDenied(_("Enroll in the course to search its material."))
    query = request.GET.get("q", "").strip()[:SEARCH_MAX_QUERY]
    hits = [hit.as_dict() for hit in search(course_id=course.pk, query=query, k=8)] if query else []
    context = {"course": course, "query": query, "hits": hits}
    if request.htmx:
        return render(request, "knowledge/search.html#results", context)
    return render(request, "knowledge/search.html", context)
