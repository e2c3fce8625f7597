from __future__ import annotations

from django.contrib import admin

from assist.models import QuestionBudget


@admin.register(QuestionBudget)
class QuestionBudgetAdmin(admin.ModelAdmin):
    """Admins give one student a different tutor quota here (empty = the platform default)."""

    list_display = ("user", "capacity", "refill_seconds", "available", "checked_at")
    search_fields = ("user__username",)
    raw_id_fields = ("user",)
    fields = ("user", "capacity", "refill_seconds", "available", "checked_at")
    readonly_fields = ("available", "checked_at")

    def save_model(self, request, obj, form, change):
        if not change:
            from django.conf import settings
            from django.utils import timezone

            obj.available = float(obj.capacity or settings.TUTOR_QUOTA_QUESTIONS)
            obj.checked_at = timezone.now()
        super().save_model(request, obj, form, change)
