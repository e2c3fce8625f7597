"""What LLMasOS remembers about an LMS: where its links point, whose grades go where, its roster.

Registrations, deployments, the tool's keys and LMS users (linked to our accounts by the
platform's subject) are django-lti's models (`lti_tool`); these rows join them to courses.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from lti_tool.models import LtiDeployment

from courses.models import Course, Lesson
from grading.models import Assignment, Submission


class Target(models.TextChoices):
    COURSE = "course", _("Course")
    LESSON = "lesson", _("Lesson")
    TUTOR = "tutor", _("AI tutor")
    ASSIGNMENT = "assignment", _("Assignment")


class Placement(models.Model):
    """A resource link in an LMS course and what it opens here (set by deep linking)."""

    deployment = models.ForeignKey(LtiDeployment, on_delete=models.CASCADE, related_name="+")
    resource_link_id = models.CharField(max_length=255)
    context_id = models.CharField(max_length=255, blank=True)
    title = models.CharField(max_length=255, blank=True)
    target = models.CharField(max_length=16, choices=Target.choices)
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="lti_placements")
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, null=True, blank=True)
    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, null=True, blank=True)
    # The AGS line item the LMS made for this link (gradable work only), and the scopes its
    # launch granted: a grade is posted there by the tool's service account, not by a launch.
    lineitem_url = models.URLField(max_length=500, blank=True)
    ags_scopes = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["deployment", "resource_link_id"], name="lti_placement_per_link"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_target_display()}: {self.title or self.resource_link_id}"


class CourseContext(models.Model):
    """An LMS course (LTI context) joined to an LLMasOS course; its roster comes from NRPS."""

    deployment = models.ForeignKey(LtiDeployment, on_delete=models.CASCADE, related_name="+")
    context_id = models.CharField(max_length=255)
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="lti_contexts")
    title = models.CharField(max_length=255, blank=True)
    memberships_url = models.URLField(max_length=500, blank=True)
    synced_at = models.DateTimeField(null=True, blank=True)
    sync_error = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["deployment", "context_id", "course"], name="lti_context_per_course"
            )
        ]

    def __str__(self) -> str:
        return f"{self.title or self.context_id} → {self.course}"


class RosterMember(models.Model):
    """An enrollment the LMS made: only these are dropped when a student leaves the LMS course,
    never one the student made themselves."""

    context = models.ForeignKey(CourseContext, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["context", "user"], name="lti_roster_member_once")
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.context}"


class SyncStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to send")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class GradeSync(models.Model):
    """The last score of one student on one LMS line item: what was sent, when, and how it went.

    One row per (placement, student), bumped on every score change, so sending twice sends the
    same state (idempotent) and the teacher sees the last sent state.
    """

    placement = models.ForeignKey(Placement, on_delete=models.CASCADE, related_name="grades")
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    lms_user_id = models.CharField(max_length=255)
    submission = models.ForeignKey(Submission, on_delete=models.SET_NULL, null=True, blank=True)
    status = models.CharField(max_length=8, choices=SyncStatus.choices, default=SyncStatus.PENDING)
    # Bumped on every change; a send only marks the row sent if no change arrived meanwhile.
    version = models.PositiveIntegerField(default=1)
    score = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    max_score = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    comment = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["placement", "student"], name="lti_grade_per_student")
        ]

    def __str__(self) -> str:
        return f"{self.placement} · {self.student} · {self.get_status_display()}"


class UsedNonce(models.Model):
    """Nonces of accepted launches. PyLTI1p3 checks that a nonce was issued but never forgets
    it, so the same id_token could be posted again; the unique insert here refuses a replay."""

    nonce = models.CharField(max_length=255, unique=True)
    used_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.nonce
