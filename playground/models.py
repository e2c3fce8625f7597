"""Saved snippets of the playground: named, per user, optionally shared with a course."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse

from courses.models import Course


class Snippet(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="snippets"
    )
    title = models.CharField(max_length=120)
    code = models.TextField()
    # Sharing is read-only and within one course: its enrolled students and teachers may open
    # the link; nobody else learns that the snippet exists.
    shared_with = models.ForeignKey(
        Course, on_delete=models.SET_NULL, null=True, blank=True, related_name="shared_snippets"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-id"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("playground:snippet", args=[self.pk])
