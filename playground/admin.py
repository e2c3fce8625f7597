from django.contrib import admin

from playground.models import Snippet


@admin.register(Snippet)
class SnippetAdmin(admin.ModelAdmin):
    list_display = ("title", "owner", "shared_with", "updated_at")
    search_fields = ("title", "owner__username")
    raw_id_fields = ("owner",)
