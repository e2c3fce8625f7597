from __future__ import annotations

from django.contrib import admin

from assist.models import AIPolicy, ExamWindow, QuestionBudget, UsageRecord


@admin.register(QuestionBudget)
class QuestionBudgetAdmin(admin.ModelAdmin):
    """Admins give one student a different tutor quota here (empty = the platform default)."""

    list_display = ("user", "capacity", "refill_seconds", "daily_tokens", "available", "checked_at")
    search_fields = ("user__username",)
    raw_id_fields = ("user",)
    fields = ("user", "capacity", "refill_seconds", "daily_tokens", "available", "checked_at")
    readonly_fields = ("available", "checked_at")

    def save_model(self, request, obj, form, change):
        if not change:
            from django.conf import settings
            from django.utils import timezone

            obj.available = float(obj.capacity or settings.TUTOR_QUOTA_QUESTIONS)
            obj.checked_at = timezone.now()
        super().save_model(request, obj, form, change)


@admin.register(AIPolicy)
class AIPolicyAdmin(admin.ModelAdmin):
    list_display = (
        "course",
        "lesson",
        "assignment",
        "mode",
        "daily_tokens",
        "updated_by",
        "updated_at",
    )
    list_filter = ("mode",)
    search_fields = ("course__title", "lesson__title", "assignment__title")
    raw_id_fields = ("course", "lesson", "assignment", "updated_by")
    readonly_fields = ("updated_at",)


@admin.register(ExamWindow)
class ExamWindowAdmin(admin.ModelAdmin):
    list_display = ("title", "course", "starts_at", "ends_at")
    search_fields = ("title", "course__title")
    raw_id_fields = ("course", "created_by")
    filter_horizontal = ("assignments",)


@admin.register(UsageRecord)
class UsageRecordAdmin(admin.ModelAdmin):
    """Site-wide AI usage: every model request and every refusal, filterable, read-only."""

    list_display = (
        "created_at",
        "user",
        "course",
        "feature",
        "decision",
        "outcome",
        "prompt_tokens",
        "completion_tokens",
        "latency_ms",
    )
    list_filter = ("feature", "outcome", "decision")
    search_fields = ("user__username", "course__title")
    date_hierarchy = "created_at"
    list_select_related = ("user", "course")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
