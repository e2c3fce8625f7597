from __future__ import annotations

from django.db import models
from django.urls import reverse
from django.utils.text import slugify

from courses.models import Course, Lesson, Material


class Chunk(models.Model):
    """A passage of course material or of a lesson. Its primary key is its id in FAISS."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="chunks")
    material = models.ForeignKey(
        Material, on_delete=models.CASCADE, null=True, blank=True, related_name="chunks"
    )
    lesson = models.ForeignKey(
        Lesson, on_delete=models.CASCADE, null=True, blank=True, related_name="chunks"
    )
    ordinal = models.PositiveIntegerField()
    text = models.TextField()
    heading = models.CharField(max_length=300, blank=True)
    page = models.PositiveIntegerField(null=True, blank=True)
    # The embedding (float32 bytes), kept so `rebuild_kb` restores FAISS without re-embedding.
    vector = models.BinaryField()

    class Meta:
        ordering = ["course", "material", "lesson", "ordinal"]
        indexes = [models.Index(fields=["course", "id"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(material__isnull=False) ^ models.Q(lesson__isnull=False),
                name="chunk_has_one_source",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source_name} · {self.location}"

    @property
    def source_name(self) -> str:
        return self.material.original_name if self.material_id else self.lesson.title

    @property
    def location(self) -> str:
        parts = []
        if self.page:
            parts.append(f"page {self.page}")
        if self.heading:
            parts.append(self.heading)
        return ", ".join(parts) or "start"

    @property
    def url(self) -> str:
        if self.lesson_id:
            anchor = f"#{slugify(self.heading)}" if self.heading else ""
            return self.lesson.get_absolute_url() + anchor
        page = f"#page={self.page}" if self.page else ""
        return reverse("courses:material_file", args=[self.course.slug, self.material_id]) + page


class KnowledgeBaseState(models.Model):
    """One per course: a version bumped on every index change, so caches know to reload."""

    course = models.OneToOneField(Course, on_delete=models.CASCADE, related_name="kb_state")
    version = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.course} v{self.version}"
