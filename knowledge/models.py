"""The knowledge base's rows: uploaded material, the passages (chunks) of material and lessons,
and a per-course version that tells web processes to reload a course's index.

These models moved here from `courses` (Material) and `inference` (Chunk, KnowledgeBaseState)
without touching the data: knowledge/migrations/0001 only adopts the existing tables, 0002
renames them. `upload_to` keeps the same path so stored files stay where they are.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import gettext, pgettext

from courses.models import Course, Lesson


class MaterialStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    PROCESSING = "processing", "Processing"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


def _material_path(material: Material, filename: str) -> str:
    return f"materials/{material.course_id}/{filename}"


class Material(models.Model):
    """A file a teacher uploaded to a course; ingested into the course's knowledge base."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="materials")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    file = models.FileField(upload_to=_material_path, max_length=300)
    original_name = models.CharField(max_length=255)
    kind = models.CharField(max_length=16)  # pdf | html | markdown | text
    size = models.PositiveBigIntegerField(default=0)
    status = models.CharField(
        max_length=16, choices=MaterialStatus.choices, default=MaterialStatus.PENDING
    )
    progress = models.PositiveSmallIntegerField(default=0)  # percent, for the progress bar
    chunk_count = models.PositiveIntegerField(default=0)
    # Characters of text a reader cannot see (hidden styles, white on white, zero-width), left
    # out of the passages at ingestion (knowledge/hidden.py).
    hidden_chars = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.original_name

    @property
    def error_text(self) -> str:
        """The error in the reader's language: it is stored in English (parsing runs where no
        language is active) and the fixed sentences are in the catalogue."""
        return gettext(self.error) if self.error else ""

    def as_status(self) -> dict[str, object]:
        return {
            "type": "material.status",
            "id": self.pk,
            "course": self.course.slug,
            "name": self.original_name,
            "status": self.status,
            "progress": self.progress,
            "chunks": self.chunk_count,
            "hidden_chars": self.hidden_chars,
            "error": self.error,
        }


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
    # The passage's prose sentences as [start, end] offsets into `text`, and their embeddings
    # (float32 bytes, one row per sentence), made at ingestion: quote selection and the support
    # checker compare sentences, and every web process would otherwise embed them again.
    # Offsets, not a re-split: a later change to the splitter cannot misalign stored vectors.
    sentence_spans = models.JSONField(default=list, blank=True)
    sentence_vectors = models.BinaryField(default=b"", blank=True)

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
        if self.material is not None:
            return self.material.original_name
        if self.lesson is None:  # ruled out by the chunk_has_one_source constraint
            raise ValueError(f"Chunk {self.pk} has neither a material nor a lesson")
        return self.lesson.title

    @property
    def location(self) -> str:
        # The quoted material's label, in the reader's language (the heading is the teacher's).
        parts = []
        if self.page:
            parts.append(gettext("page %(page)s") % {"page": self.page})
        if self.heading:
            parts.append(self.heading)
        separator = pgettext("between page and heading", ", ")
        return separator.join(parts) or pgettext("passage location", "start")

    @property
    def url(self) -> str:
        if self.lesson is not None:
            anchor = f"#{slugify(self.heading)}" if self.heading else ""
            return self.lesson.get_absolute_url() + anchor
        page = f"#page={self.page}" if self.page else ""
        return reverse("knowledge:material_file", args=[self.course.slug, self.material_id]) + page


class KnowledgeBaseState(models.Model):
    """One per course: a version bumped on every index change, so caches know to reload."""

    course = models.OneToOneField(Course, on_delete=models.CASCADE, related_name="kb_state")
    version = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.course} v{self.version}"
