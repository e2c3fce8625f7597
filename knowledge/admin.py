"""Admin for course material. Uploads and deletions made here go through the same services as
the Material page, so files are ingested and passages leave the index the same way."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from knowledge import services
from knowledge.models import Material, MaterialStatus


@admin.register(Material)
class MaterialAdmin(admin.ModelAdmin):
    """Upload here or on the course's Material page; both go through the same service."""

    list_display = (
        "original_name",
        "course",
        "kind",
        "status",
        "progress",
        "chunk_count",
        "created_at",
    )
    list_filter = ("status", "kind", "course")
    search_fields = ("original_name",)
    fields = (
        "course",
        "file",
        "original_name",
        "kind",
        "size",
        "status",
        "progress",
        "chunk_count",
        "error",
        "uploaded_by",
    )
    # Everything but the course and the file is written by ingestion.
    readonly_fields = tuple(name for name in fields if name not in ("course", "file"))

    def save_model(self, request: HttpRequest, obj: Material, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        created = services.material_create(
            course=obj.course, uploaded_by=request.user, upload=form.cleaned_data["file"]
        )
        obj.pk = created.pk
        if created.status == MaterialStatus.FAILED:
            self.message_user(request, f"{created.original_name}: {created.error}", "error")

    def delete_model(self, request: HttpRequest, obj: Material) -> None:
        services.material_delete(material=obj)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for material in queryset:
            services.material_delete(material=material)
