from __future__ import annotations

from django.contrib import admin

from tutor.models import Conversation, Message, QuestionBudget


class MessageInline(admin.TabularInline):
    model = Message
    extra = 0
    fields = ("role", "kind", "mode", "content", "status", "covered", "rating", "rating_comment")
    readonly_fields = fields
    can_delete = False
    show_change_link = True


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = ("title", "course", "student", "lesson", "updated_at")
    list_filter = ("course",)
    search_fields = ("title", "student__username")
    raw_id_fields = ("student", "lesson")
    inlines = [MessageInline]


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ("__str__", "conversation", "kind", "mode", "status", "rating", "created_at")
    list_filter = ("kind", "mode", "status", "rating", "covered")
    search_fields = ("content", "rating_comment")
    raw_id_fields = ("conversation",)


@admin.register(QuestionBudget)
class QuestionBudgetAdmin(admin.ModelAdmin):
    """Admins give one student a different tutor quota here (empty = the platform default)."""

    list_display = ("user", "capacity", "refill_seconds", "available", "checked_at")
    search_fields = ("user__username",)
    raw_id_fields = ("user",)
    fields = ("user", "capacity", "refill_seconds", "available", "checked_at")
    readonly_fields = ("available", "checked_at")

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        if not change:
            from django.conf import settings
            from django.utils import timezone

            obj.available = float(obj.capacity or settings.TUTOR_QUOTA_QUESTIONS)
            obj.checked_at = timezone.now()
        super().save_model(request, obj, form, change)
