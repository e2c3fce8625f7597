from __future__ import annotations

from django.contrib import admin

from tutor.models import Conversation, Message


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
