"""Concepts with prerequisites, practice questions, and each student's evidence and mastery."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from courses.models import Course, Lesson
from learning import bkt

_probability = [MinValueValidator(0.001), MaxValueValidator(0.999)]


class Concept(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="concepts")
    # The slug is the concept's identity in JSON import/export and in assignments' concept lists.
    slug = models.SlugField(
        max_length=80, help_text=_("Short identifier: lowercase letters, digits and hyphens.")
    )
    name = models.CharField(max_length=120)
    description = models.TextField(
        blank=True, help_text=_("What a student who has mastered this concept can do.")
    )
    position = models.PositiveIntegerField(default=0)
    prerequisites = models.ManyToManyField(
        "self", symmetrical=False, related_name="unlocks", blank=True
    )
    lessons = models.ManyToManyField(Lesson, related_name="concepts", blank=True)
    # Default BKT parameters, used until enough of the class's answers exist to fit them.
    prior = models.FloatField(default=bkt.DEFAULT.prior, validators=_probability)
    learn = models.FloatField(default=bkt.DEFAULT.learn, validators=_probability)
    guess = models.FloatField(
        default=bkt.DEFAULT.guess,
        validators=[MinValueValidator(0.001), MaxValueValidator(bkt.GUESS_MAX)],
    )
    slip = models.FloatField(
        default=bkt.DEFAULT.slip,
        validators=[MinValueValidator(0.001), MaxValueValidator(bkt.SLIP_MAX)],
    )
    # {"prior", "learn", "guess", "slip", "answers", "students", "fitted_at",
    #  "through_observation" (the newest evidence id it saw)} from EM, or null.
    fitted = models.JSONField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["course", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["course", "slug"], name="concept_slug_unique_per_course"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def params(self) -> bkt.Params:
        """The parameters in force: fitted from the class's data if there was enough."""
        if self.fitted:
            return bkt.Params(*(self.fitted[k] for k in ("prior", "learn", "guess", "slip")))
        return bkt.Params(self.prior, self.learn, self.guess, self.slip)


class QuestionKind(models.TextChoices):
    CHOICE = "choice", _("Multiple choice")
    SHORT = "short", _("Short answer")


class QuestionStatus(models.TextChoices):
    DRAFTING = "drafting", _("Being drafted")
    DRAFT = "draft", _("Draft (students cannot see it)")
    APPROVED = "approved", _("Approved")
    FAILED = "failed", _("Drafting failed")


class PracticeQuestionQuerySet(models.QuerySet["PracticeQuestion"]):
    def approved(self) -> PracticeQuestionQuerySet:
        return self.filter(status=QuestionStatus.APPROVED)


class PracticeQuestion(models.Model):
    concept = models.ForeignKey(Concept, on_delete=models.CASCADE, related_name="questions")
    kind = models.CharField(max_length=8, choices=QuestionKind.choices)
    prompt = models.TextField(help_text=_("Markdown."))
    choices = models.JSONField(default=list, blank=True)  # multiple choice: the options
    answer_index = models.PositiveSmallIntegerField(null=True, blank=True)  # the right option
    accepted_answers = models.JSONField(default=list, blank=True)  # short answer: right answers
    explanation = models.TextField(blank=True, help_text=_("Shown after the student answers."))
    status = models.CharField(
        max_length=10, choices=QuestionStatus.choices, default=QuestionStatus.DRAFT
    )
    drafted_by_model = models.BooleanField(default=False)
    source_lesson = models.ForeignKey(
        Lesson, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    problem = models.TextField(blank=True)  # why drafting failed, or what a draft lacks
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    approved_at = models.DateTimeField(null=True, blank=True)

    objects = PracticeQuestionQuerySet.as_manager()

    class Meta:
        ordering = ["concept", "id"]

    def __str__(self) -> str:
        return self.prompt[:80]

    def get_absolute_url(self) -> str:
        return reverse("learning:practice", args=[self.concept.course.slug, self.pk])

    @property
    def right_answer(self) -> str:
        if self.kind == QuestionKind.CHOICE and self.answer_index is not None:
            return self.choices[self.answer_index]
        return self.accepted_answers[0] if self.accepted_answers else ""


class PracticeAnswer(models.Model):
    question = models.ForeignKey(PracticeQuestion, on_delete=models.CASCADE, related_name="answers")
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="practice_answers"
    )
    response = models.TextField()
    correct = models.BooleanField()
    # False when the same question was answered again within the cool-down: still graded, but
    # repeating one question cannot pump mastery.
    counted = models.BooleanField(default=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["student", "question", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.student} · {self.question_id}: {'right' if self.correct else 'wrong'}"


class Source(models.TextChoices):
    PRACTICE = "practice", _("Practice question")
    ASSIGNMENT = "assignment", _("Assignment")


class Observation(models.Model):
    """One graded attempt at a concept: the evidence BKT reads, in time order."""

    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="observations"
    )
    concept = models.ForeignKey(Concept, on_delete=models.CASCADE, related_name="observations")
    correct = models.BooleanField()
    at = models.DateTimeField()
    source = models.CharField(max_length=10, choices=Source.choices)
    practice_answer = models.ForeignKey(
        PracticeAnswer, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    submission = models.ForeignKey(
        "grading.Submission", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    mastery_after = models.FloatField(default=0.0)

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["submission", "concept"],
                condition=models.Q(submission__isnull=False),
                name="one_observation_per_submission_and_concept",
            )
        ]
        indexes = [
            models.Index(fields=["student", "concept", "at"]),
            models.Index(fields=["concept", "at"]),
        ]

    def __str__(self) -> str:
        return f"{self.student} · {self.concept}: {'right' if self.correct else 'wrong'}"


class Mastery(models.Model):
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="masteries"
    )
    concept = models.ForeignKey(Concept, on_delete=models.CASCADE, related_name="masteries")
    p_known = models.FloatField()
    attempts = models.PositiveIntegerField(default=0)
    correct = models.PositiveIntegerField(default=0)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    mastered_at = models.DateTimeField(null=True, blank=True)  # first time at the threshold

    class Meta:
        verbose_name_plural = "masteries"
        constraints = [
            models.UniqueConstraint(fields=["student", "concept"], name="one_mastery_per_concept")
        ]

    def __str__(self) -> str:
        return f"{self.student} · {self.concept}: {self.p_known:.2f}"


class ReviewCard(models.Model):
    """FSRS state of a mastered concept for one student (see learning/scheduling.py)."""

    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="review_cards"
    )
    concept = models.ForeignKey(Concept, on_delete=models.CASCADE, related_name="review_cards")
    card = models.JSONField()
    due = models.DateTimeField(db_index=True)
    reviews = models.PositiveIntegerField(default=0)
    last_review_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["student", "concept"], name="one_card_per_concept")
        ]

    def __str__(self) -> str:
        return f"{self.student} · {self.concept}: due {self.due:%Y-%m-%d}"
