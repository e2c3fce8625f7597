from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from accounts.models import User


class CourseQuerySet(models.QuerySet["Course"]):
    def published(self) -> CourseQuerySet:
        return self.filter(is_published=True)

    def taught_by(self, user: User) -> CourseQuerySet:
        return self.filter(teachers=user)


class Course(models.Model):
    title = models.CharField(max_length=200)
    slug = models.SlugField(
        max_length=80,
        unique=True,
        help_text=_("Part of the course's address; letters, digits and hyphens."),
        error_messages={"unique": _("Another course already uses this address.")},
    )
    summary = models.CharField(max_length=300, help_text=_("One sentence shown in the catalog."))
    description = models.TextField(blank=True, help_text=_("Markdown."))
    teachers = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="taught_courses")
    is_published = models.BooleanField(default=False)
    tutor_strict = models.BooleanField(
        "strict tutor",
        default=False,
        help_text=_(
            "Withhold every sentence of the tutor's explanations that the course material "
            "does not support (otherwise such sentences are shown, marked)."
        ),
    )
    # The language the course is taught in (one of the interface's). Retrieval (tokenizer,
    # embedder, relevance threshold) and the tutor's prompts follow it; teachers' own content is
    # never translated.
    language = models.CharField(
        _("language"),
        max_length=10,
        choices=settings.LANGUAGES,
        default="en",
        help_text=_(
            "The language of the course's lessons and material. The tutor answers in it (or in "
            "the language of the student's question)."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CourseQuerySet.as_manager()

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("courses:detail", kwargs={"slug": self.slug})


class Module(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="modules")
    title = models.CharField(max_length=200)
    summary = models.CharField(max_length=300, blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["course", "position", "id"]

    def __str__(self) -> str:
        return f"{self.course.title} / {self.title}"


class Lesson(models.Model):
    # `course` repeats module.course so that a slug can be unique per course in the database
    # itself (lesson URLs are /courses/<course>/lessons/<lesson>/); save() keeps it in step.
    course = models.ForeignKey(
        Course, on_delete=models.CASCADE, related_name="lessons", editable=False
    )
    module = models.ForeignKey(Module, on_delete=models.CASCADE, related_name="lessons")
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80)
    body = models.TextField(help_text=_("Markdown."))
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["module__position", "module_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["course", "slug"], name="lesson_slug_unique_per_course"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        self.course_id = self.module.course_id
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse(
            "courses:lesson", kwargs={"slug": self.course.slug, "lesson_slug": self.slug}
        )


class Enrollment(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrollments"
    )
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="enrollments")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "course"], name="enrollment_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.course}"


class LessonCompletion(models.Model):
    """A student marked a lesson as done; drives the dashboard's progress and "continue"."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lesson_completions"
    )
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="completions")
    completed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "lesson"], name="lesson_completion_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} finished {self.lesson}"


class Announcement(models.Model):
    """A teacher's message to everyone enrolled; delivered as notifications by a Celery task."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="announcements")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    title = models.CharField(max_length=200)
    body = models.TextField(max_length=5000)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    recipients = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title
