"""Question budgets: what a student may still ask the model (see assist.budget)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class QuestionBudget(models.Model):
    """A student's tutor questions: a bucket that refills one question at a time.

    `available` is stored with the time it was computed; the current value is derived on read
    (see assist.budget.budget_state), so nothing has to tick in the background.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="question_budget"
    )
    available = models.FloatField()
    checked_at = models.DateTimeField()
    # Set by an admin to give one student a different budget; empty = the platform default.
    capacity = models.PositiveIntegerField(null=True, blank=True)
    refill_seconds = models.PositiveIntegerField(null=True, blank=True)
    # Model tokens this student may use per UTC day; empty = AI_DAILY_TOKENS_PER_USER.
    daily_tokens = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        # The table the tutor app created: the model moved here, its rows did not have to.
        db_table = "tutor_questionbudget"

    def __str__(self) -> str:
        return f"Question budget of {self.user}"


class AIMode(models.TextChoices):
    """What a teacher lets the model do for students. Empty on a lesson or assignment: as above."""

    INHERIT = "", _("As the course")
    OFF = "off", _("Off")
    HINTS = "hints", _("Hints only")
    FULL = "full", _("Full help")


class AIPolicy(models.Model):
    """A teacher's rule for AI help in a course, or for one lesson or assignment of it.

    One row per scope: the course row (no lesson, no assignment) is the default, a lesson's or
    an assignment's row overrides it. No row at all means today's behaviour (full help, hints
    on graded assignments). assist.policy.decide is the only reader that enforces it.
    """

    course = models.ForeignKey(
        "courses.Course", on_delete=models.CASCADE, related_name="ai_policies"
    )
    lesson = models.ForeignKey(
        "courses.Lesson",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="ai_policies",
    )
    # By name, not import: assist sits below grading, whose assignments it must still name.
    assignment = models.ForeignKey(
        "grading.Assignment",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="ai_policies",
    )
    mode = models.CharField(max_length=8, choices=AIMode.choices, blank=True)
    # The teacher's instructions to the AI for an assignment, quoted into the prompt as
    # teacher text (assist.prompts.blocks), never above the safety rules.
    instructions = models.TextField(blank=True, max_length=2000)
    # Admins only (a cost cap): model tokens the course's students may use per UTC day, on the
    # course's row; empty = AI_DAILY_TOKENS_PER_COURSE.
    daily_tokens = models.PositiveIntegerField(null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("AI policy")
        verbose_name_plural = _("AI policies")
        constraints = [
            models.CheckConstraint(
                condition=~(models.Q(lesson__isnull=False) & models.Q(assignment__isnull=False)),
                name="ai_policy_one_scope",
            ),
            models.UniqueConstraint(
                fields=["course"],
                condition=models.Q(lesson__isnull=True, assignment__isnull=True),
                name="ai_policy_one_per_course",
            ),
            models.UniqueConstraint(
                fields=["lesson"], condition=models.Q(lesson__isnull=False), name="ai_policy_lesson"
            ),
            models.UniqueConstraint(
                fields=["assignment"],
                condition=models.Q(assignment__isnull=False),
                name="ai_policy_assignment",
            ),
        ]

    def __str__(self) -> str:
        scope = self.assignment or self.lesson or self.course
        return f"AI {self.get_mode_display().lower()} for {scope}"


class ExamWindow(models.Model):
    """A scheduled exam: AI help and playground help are off for students between the times.

    Nothing flips at the start or the end: decide() compares the request's time with the
    window, so the exam starts and ends on time with no task to run late or be missed.
    """

    course = models.ForeignKey(
        "courses.Course", on_delete=models.CASCADE, related_name="exam_windows"
    )
    title = models.CharField(max_length=120)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    # None chosen = the whole course.
    assignments = models.ManyToManyField(
        "grading.Assignment", blank=True, related_name="exam_windows"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_at"]
        indexes = [models.Index(fields=["course", "ends_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="exam_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.course})"


class Outcome(models.TextChoices):
    ANSWERED = "answered", _("Answered")
    REFUSED = "refused", _("Refused by policy")
    FAILED = "failed", _("Model failed")
    STOPPED = "stopped", _("Stopped")
    NOT_COVERED = "not_covered", _("Not covered by the material")


class UsageRecord(models.Model):
    """One request to the model, or one refused by a policy: who, where, what it cost."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="ai_usage",
    )
    course = models.ForeignKey(
        "courses.Course", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    feature = models.CharField(max_length=24)  # an assist.policy.Purpose
    assignment = models.ForeignKey(
        "grading.Assignment", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    lesson = models.ForeignKey(
        "courses.Lesson", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decision = models.CharField(max_length=8)  # an assist.policy.Mode
    reason = models.CharField(max_length=200, blank=True)  # why a request was refused
    outcome = models.CharField(max_length=12, choices=Outcome.choices)
    prompt_tokens = models.PositiveIntegerField(default=0)
    completion_tokens = models.PositiveIntegerField(default=0)
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["course", "created_at"]),
            models.Index(fields=["user", "created_at"]),
        ]

    def __str__(self) -> str:
        return (
            f"{self.feature} {self.outcome} by {self.user_id} at {self.created_at:%Y-%m-%d %H:%M}"
        )


class TokenDay(models.Model):
    """Tokens used in one UTC day by one student (no course) or by one course's students (no user).

    `used` includes what running requests have reserved (assist.budget.tokens_reserve), so
    requests started at the same moment cannot all slip under the cap.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    course = models.ForeignKey(
        "courses.Course", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    day = models.DateField()
    used = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "day"], condition=models.Q(course=None), name="token_day_user"
            ),
            models.UniqueConstraint(
                fields=["course", "day"], condition=models.Q(user=None), name="token_day_course"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.used} tokens on {self.day}"


class AINoticeAccepted(models.Model):
    """A student read the one-time notice on what the AI logs and who reads it."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ai_notice_accepted"
    )
    accepted_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"AI notice accepted by {self.user_id}"


class AssignmentOpened(models.Model):
    """When a student first opened an assignment: a fact for its review page (time to submit)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    assignment = models.ForeignKey("grading.Assignment", on_delete=models.CASCADE, related_name="+")
    first_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "assignment"], name="assignment_opened_once")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} opened {self.assignment_id}"
