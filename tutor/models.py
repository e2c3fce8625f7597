"""Tutor conversations and their messages (with citations and ratings).

Question budgets moved to assist.models: the playground charges them too."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from courses.models import Course, Lesson


class Mode(models.TextChoices):
    EXPLAIN = "explain", pgettext_lazy("the tutor's mode", "Explain")
    HINT = "hint", pgettext_lazy("the tutor's mode", "Hint (Socratic)")
    QUIZ = "quiz", pgettext_lazy("the tutor's mode", "Quiz me")


class Conversation(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="conversations")
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tutor_conversations"
    )
    # The lesson the conversation started from: its passages come first when retrieving.
    lesson = models.ForeignKey(
        Lesson, on_delete=models.SET_NULL, null=True, blank=True, related_name="conversations"
    )
    title = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        indexes = [models.Index(fields=["course", "student", "-updated_at"])]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("tutor:conversation", args=[self.course.slug, self.pk])


class Message(models.Model):
    class Role(models.TextChoices):
        STUDENT = "student", _("Student")
        TUTOR = "tutor", pgettext_lazy("the AI tutor, as the author of a message", "Tutor")

    class Kind(models.TextChoices):
        QUESTION = "question", _("Question")
        ANSWER = "answer", _("Answer")
        QUIZ_QUESTION = "quiz_question", _("Quiz question")
        QUIZ_ANSWER = "quiz_answer", _("Quiz answer")
        QUIZ_FEEDBACK = "quiz_feedback", _("Quiz feedback")

    class Status(models.TextChoices):
        STREAMING = "streaming", _("Streaming")
        COMPLETE = "complete", _("Complete")
        STOPPED = "stopped", pgettext_lazy("a tutor reply's status", "Stopped")
        FAILED = "failed", pgettext_lazy("a tutor reply's status", "Failed")

    class Rating(models.TextChoices):
        NONE = "", _("Not rated")
        HELPFUL = "helpful", _("Helpful")
        NOT_HELPFUL = "not_helpful", _("Not helpful")

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    role = models.CharField(max_length=10, choices=Role.choices)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.EXPLAIN)
    content = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.COMPLETE)
    # [{"n", "source", "location", "url", "text", "chunk"}]: what the answer was grounded on.
    citations = models.JSONField(default=list, blank=True)
    covered = models.BooleanField(default=True)
    # [{"n", "text", "before", "after", "source", "location", "url", "chunk", "score"}]: the
    # material's own sentences, shown before the model's explanation (knowledge.quotes).
    quotes = models.JSONField(default=list, blank=True)
    # [{"text", "claim", "supported", "score", "missing"}] per sentence the model wrote, and the
    # share of its claims the passages support (None: nothing checked); knowledge.support.
    checks = models.JSONField(default=list, blank=True)
    support = models.FloatField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    prompt_tokens = models.PositiveIntegerField(default=0)
    completion_tokens = models.PositiveIntegerField(default=0)
    first_token_ms = models.PositiveIntegerField(null=True, blank=True)
    rating = models.CharField(max_length=12, choices=Rating.choices, default="", blank=True)
    rating_comment = models.CharField(max_length=1000, blank=True)
    rated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["conversation", "id"]
        indexes = [models.Index(fields=["rating"], name="tutor_msg_rating")]

    def __str__(self) -> str:
        return f"{self.get_role_display()}: {self.content[:60]}"

    @property
    def is_tutor(self) -> bool:
        return self.role == self.Role.TUTOR
