from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from lti_tool.models import Key, LtiUser

from lti.models import CourseContext, GradeSync, Placement
from lti.registration import key_rotate


@admin.register(Key)
class KeyAdmin(admin.ModelAdmin):
    """The tool's signing keys. Rotate: add a key (`manage.py rotate_keys`), then deactivate the
    old one once the LMSs have fetched the JWKS; the newest active key signs."""

    list_display = ["__str__", "is_active", "datetime_created"]
    list_editable = ["is_active"]
    readonly_fields = ["public_key", "private_key"]
    actions = ["rotate"]

    @admin.action(description=_("Rotate: make a new signing key, retire the selected ones"))
    def rotate(self, request: HttpRequest, queryset: QuerySet[Key]) -> None:
        key_rotate(retire=queryset)
        self.message_user(request, _("A new key signs from now on; the JWKS lists it already."))


@admin.register(LtiUser)
class LtiUserAdmin(admin.ModelAdmin):
    """LMS users by platform subject; set `auth user` to link one to an existing account."""

    list_display = ["sub", "name", "email", "registration", "auth_user"]
    search_fields = ["sub", "name", "email"]
    raw_id_fields = ["auth_user"]
    list_filter = ["registration"]


@admin.register(Placement)
class PlacementAdmin(admin.ModelAdmin):
    list_display = ["__str__", "course", "deployment", "resource_link_id"]
    raw_id_fields = ["course", "lesson", "assignment"]


@admin.register(CourseContext)
class CourseContextAdmin(admin.ModelAdmin):
    list_display = ["__str__", "synced_at"]


@admin.register(GradeSync)
class GradeSyncAdmin(admin.ModelAdmin):
    list_display = ["__str__", "score", "status", "sent_at"]
    list_filter = ["status"]
