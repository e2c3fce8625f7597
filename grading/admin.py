from django.contrib import admin

from grading.models import Assignment, Calibration, GradingSettings, Submission


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ("title", "course", "kind", "due_at", "max_score", "is_published")
    list_filter = ("kind", "is_published", "course")
    search_fields = ("title", "course__title")
    readonly_fields = ("test_names", "grading_version", "created_at", "updated_at")


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    list_display = (
        "assignment",
        "student",
        "attempt",
        "status",
        "verdict",
        "score",
        "needs_review",
        "review",
        "created_at",
    )
    list_filter = ("status", "verdict", "needs_review", "review", "assignment__course")
    search_fields = ("student__username", "assignment__title")
    raw_id_fields = ("student", "reviewed_by")
    readonly_fields = (
        "tests",
        "criteria",
        "stdout",
        "stderr",
        "grading_attempts",
        "created_at",
        "started_at",
        "graded_at",
    )


@admin.register(GradingSettings)
class GradingSettingsAdmin(admin.ModelAdmin):
    list_display = ("course", "release_qwk")


@admin.register(Calibration)
class CalibrationAdmin(admin.ModelAdmin):
    list_display = ("assignment", "graded", "qwk", "mae", "raw_qwk", "raw_mae", "updated_at")
    readonly_fields = [f.name for f in Calibration._meta.fields]
