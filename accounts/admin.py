from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest

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
    fieldsets = (*(UserAdmin.fieldsets or ()), ("Platform", {"fields": ("role",)}))
    add_fieldsets = (*UserAdmin.add_fieldsets, ("Platform", {"fields": ("role",)}))
    actions = ("make_teacher", "make_student")

    @admin.action(description="Make the selected users teachers")
    def make_teacher(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        count = queryset.exclude(role=Role.ADMIN).update(role=Role.TEACHER)
        self.message_user(request, f"{count} user(s) are now teachers.", messages.SUCCESS)

    @admin.action(description="Make the selected users students")
    def make_student(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        count = queryset.exclude(role=Role.ADMIN).update(role=Role.STUDENT)
        self.message_user(request, f"{count} user(s) are now students.", messages.SUCCESS)
