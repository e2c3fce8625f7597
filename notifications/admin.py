from django.contrib import admin

from notifications.models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("title", "user", "level", "created_at", "read_at")
    list_filter = ("level",)
    search_fields = ("title", "user__username")
    raw_id_fields = ("user",)
