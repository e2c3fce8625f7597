from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.models import Role, User


@admin.register(User)
class PlatformUserAdmin(UserAdmin):
    list_display = (
        "username",
        "email",
        "first_name",
        "last_name",
        "role",
        "is_active",
        "date_joined",
    )
    list_filter = ("role", "is_active", "is_staff")
    fieldsets = (*(UserAdmin.fieldsets or ()), (_("Platform"), {"fields": ("role", "language")}))
    add_fieldsets = (*UserAdmin.add_fieldsets, (_("Platform"), {"fields": ("role",)}))
    actions = ("make_teacher", "make_student")

    @admin.action(description=_("Make the selected users teachers"))
    def make_teacher(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        count = queryset.exclude(role=Role.ADMIN).update(role=Role.TEACHER)
        self.message_user(
            request,
            ngettext("%(count)d user is now a teacher.", "%(count)d users are now teachers.", count)
            % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description=_("Make the selected users students"))
    def make_student(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        count = queryset.exclude(role=Role.ADMIN).update(role=Role.STUDENT)
        self.message_user(
            request,
            ngettext("%(count)d user is now a student.", "%(count)d users are now students.", count)
            % {"count": count},
            messages.SUCCESS,
        )
