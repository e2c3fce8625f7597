"""Assignments (code or free text), students' submissions, their verdicts and teachers' reviews."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from courses.models import Course, Lesson


class Kind(models.TextChoices):
    CODE = "code", _("Code (Python)")
    TEXT = "text", _("Free text")


class ScorePolicy(models.TextChoices):
    BEST = "best", _("The best attempt counts")
    LAST = "last", _("The last attempt counts")


class AssignmentQuerySet(models.QuerySet["Assignment"]):
    def published(self) -> AssignmentQuerySet:
        return self.filter(is_published=True)


class Assignment(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="assignments")
    # The lesson the assignment practises: the tutor's hint mode and "what next" look here.
    lesson = models.ForeignKey(
        Lesson, on_delete=models.SET_NULL, null=True, blank=True, related_name="assignments"
    )
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.CODE)
    instructions = models.TextField(help_text=_("Markdown. For a text assignment, the question."))
    due_at = models.DateTimeField(null=True, blank=True)
    max_score = models.DecimalField(max_digits=6, decimal_places=2, default=Decimal(10))
    concepts = models.JSONField(default=list, blank=True)
    # Code: {test name: [concept slugs]}; a test not listed counts for all of `concepts`.
    test_concepts = models.JSONField(default=dict, blank=True)
    is_published = models.BooleanField(default=True)
    max_attempts = models.PositiveSmallIntegerField(default=5, help_text=_("0 means unlimited."))
    score_policy = models.CharField(
        max_length=8, choices=ScorePolicy.choices, default=ScorePolicy.BEST
    )
    position = models.PositiveIntegerField(default=0)

    # Code assignments.
    starter_code = models.TextField(blank=True)
    module_name = models.CharField(max_length=60, default="solution")
    test_code = models.TextField(blank=True)
    reference_solution = models.TextField(blank=True)
    test_names = models.JSONField(default=list, blank=True)  # discovered when saved, file order
    weights = models.JSONField(default=dict, blank=True)  # test name -> weight (default 1)
    hidden_tests = models.JSONField(default=list, blank=True)
    limits = models.JSONField(default=dict, blank=True)  # overrides of the sandbox defaults

    # Text assignments.
    reference_answer = models.TextField(blank=True)
    rubric = models.JSONField(default=list, blank=True)  # [{"criterion": str, "points": number}]

    # Bumped whenever what decides a grade changes, so "regrade" knows what is stale.
    grading_version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("grading:assignment", args=[self.course.slug, self.pk])

    @property
    def is_code(self) -> bool:
        return self.kind == Kind.CODE

    def weight_of(self, test_name: str) -> float:
        return float(self.weights.get(test_name, 1))


class Status(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    GRADED = "graded", _("Graded")
    INTERNAL_ERROR = "internal_error", _("Internal error")


class Verdict(models.TextChoices):
    """The sandbox's verdicts (sandbox.Verdict), plus the text grader's."""

    PASSED = "passed", _("Passed")
    FAILED = "failed", pgettext_lazy("verdict", "Failed")
    ERROR = "error", _("Error")
    TIMEOUT = "timeout", _("Time limit")
    MEMORY_LIMIT = "memory_limit", _("Memory limit")
    OUTPUT_LIMIT = "output_limit", _("Output limit")
    RESOURCE_LIMIT = "resource_limit", _("Process limit")  # the run's cgroup refused a process
    TAMPERED = "tampered", _("Tampering suspected")  # never a pass; flagged for review
    SCORED = "scored", _("Scored")  # a text answer: points per rubric criterion


class Review(models.TextChoices):
    NONE = "", _("Not reviewed")
    APPROVED = "approved", _("Approved")
    OVERRIDDEN = "overridden", _("Score overridden")


class FeedbackStatus(models.TextChoices):
    NONE = "", _("None")
    PENDING = "pending", _("Being written")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Unavailable")


class Submission(models.Model):
    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="submissions")
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="submissions"
    )
    attempt = models.PositiveSmallIntegerField()
    code = models.TextField(blank=True)
    text = models.TextField(blank=True)

    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    verdict = models.CharField(max_length=16, choices=Verdict.choices, blank=True)
    auto_score = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    score = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    # Code: [{"name", "outcome", "message", "duration_ms"}] in file order.
    tests = models.JSONField(default=list, blank=True)
    # Text: [{"criterion", "points", "score", "evidence"}].
    criteria = models.JSONField(default=list, blank=True)
    similarity = models.FloatField(null=True, blank=True)
    confidence = models.FloatField(null=True, blank=True)
    needs_review = models.BooleanField(default=False)
    problem = models.TextField(blank=True)  # a sentence about the run as a whole
    stdout = models.TextField(blank=True)
    stderr = models.TextField(blank=True)
    time_ms = models.PositiveIntegerField(null=True, blank=True)
    feedback = models.TextField(blank=True)
    feedback_status = models.CharField(
        max_length=8, choices=FeedbackStatus.choices, default=FeedbackStatus.NONE, blank=True
    )
    # How many times a worker picked this submission up; a third pickup means it kills workers.
    grading_attempts = models.PositiveSmallIntegerField(default=0)
    grading_version = models.PositiveIntegerField(default=0)

    review = models.CharField(
        max_length=12, choices=Review.choices, default=Review.NONE, blank=True
    )
    review_comment = models.TextField(blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    regrade_requested_at = models.DateTimeField(null=True, blank=True)
    regrade_reason = models.TextField(blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    graded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "student", "attempt"], name="one_submission_per_attempt"
            )
        ]
        indexes = [
            models.Index(fields=["assignment", "student", "-created_at"]),
            models.Index(fields=["status"]),
        ]

    def __str__(self) -> str:
        return f"{self.assignment} · {self.student} · attempt {self.attempt}"

    def get_absolute_url(self) -> str:
        return reverse("grading:submission", args=[self.assignment.course.slug, self.pk])

    @property
    def is_done(self) -> bool:
        return self.status in (Status.GRADED, Status.INTERNAL_ERROR)

    @property
    def is_provisional(self) -> bool:
        """A free-text score no teacher confirmed, from a grader not (yet) trusted to release."""
        return (
            self.status == Status.GRADED
            and self.verdict == Verdict.SCORED
            and self.needs_review
            and not self.review
        )


DEFAULT_RELEASE_QWK = 0.8


class GradingSettings(models.Model):
    """A course's rules for automatic free-text scores."""

    course = models.OneToOneField(Course, on_delete=models.CASCADE, related_name="grading_settings")
    # Free-text scores are released without a teacher's review only once the grader's measured
    # agreement with this course's teacher (QWK on their grades of the assignment) reaches this.
    release_qwk = models.FloatField(
        _("agreement needed to release scores (QWK)"),
        default=DEFAULT_RELEASE_QWK,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
    )

    def __str__(self) -> str:
        return f"{self.course}: release at QWK {self.release_qwk:g}"


class Calibration(models.Model):
    """What the free-text grader learned from a teacher's grades of one assignment, and how well
    it agrees with them (leave-one-out, see grading.agreement)."""

    assignment = models.OneToOneField(
        Assignment, on_delete=models.CASCADE, related_name="calibration"
    )
    grading_version = models.PositiveIntegerField(default=0)  # of the rubric it was fitted on
    graded = models.PositiveIntegerField(default=0)  # teacher grades it learned from
    qwk = models.FloatField(null=True, blank=True)
    mae = models.FloatField(null=True, blank=True)  # points
    raw_qwk = models.FloatField(null=True, blank=True)  # the uncalibrated grader, same answers
    raw_mae = models.FloatField(null=True, blank=True)
    weights = models.JSONField(default=list, blank=True)  # per criterion
    intercept = models.FloatField(default=0.0)
    # The teacher's mean share of the points: the proposal for an answer the grader cannot read.
    teacher_mean = models.FloatField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.assignment}: {self.graded} teacher grades, QWK {self.qwk}"
