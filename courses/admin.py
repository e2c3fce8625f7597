from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from courses import services
from courses.models import (
    Announcement,
    Course,
    Enrollment,
    Lesson,
    LessonCompletion,
    Module,
)


class ModuleInline(admin.TabularInline):
    model = Module
    extra = 0
    fields = ("title", "summary", "position")


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    list_display = ("title", "slug", "language", "is_published", "updated_at")
    list_filter = ("is_published", "language")
    search_fields = ("title", "slug", "summary")
    prepopulated_fields = {"slug": ("title",)}
    filter_horizontal = ("teachers",)
    inlines = [ModuleInline]

    def save_model(self, request: HttpRequest, obj: Course, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if change and "language" in form.changed_data:
            services.course_language_announce(course=obj)


class LessonInline(admin.StackedInline):
    model = Lesson
    extra = 0
    fields = ("title", "slug", "position", "body")


@admin.register(Module)
class ModuleAdmin(admin.ModelAdmin):
    list_display = ("title", "course", "position")
    list_filter = ("course",)
    inlines = [LessonInline]


@admin.register(Lesson)
class LessonAdmin(admin.ModelAdmin):
    list_display = ("title", "course", "module", "position", "updated_at")
    list_filter = ("course",)
    search_fields = ("title", "body")
    prepopulated_fields = {"slug": ("title",)}

    def save_model(self, request: HttpRequest, obj: Lesson, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        services.lesson_reindex(lesson=obj)  # the knowledge base follows admin edits too


@admin.register(Enrollment)
class EnrollmentAdmin(admin.ModelAdmin):
    list_display = ("user", "course", "created_at")
    list_filter = ("course",)
    search_fields = ("user__username", "course__title")
    raw_id_fields = ("user",)


@admin.register(LessonCompletion)
class LessonCompletionAdmin(admin.ModelAdmin):
    list_display = ("user", "lesson", "completed_at")
    raw_id_fields = ("user", "lesson")


@admin.register(Announcement)
class AnnouncementAdmin(admin.ModelAdmin):
    list_display = ("title", "course", "author", "created_at", "delivered_at", "recipients")
    list_filter = ("course",)
    readonly_fields = ("delivered_at", "recipients")
