"""The usage log: one row per request to the model, and per request a teacher's rule refused.

Callers record after the model answered (or failed, or was stopped) with the engine's own
token counts, so the log's totals are the engine's totals. Rows are kept for
AI_USAGE_RETENTION_DAYS; `usage_purge` (a daily Celery task) deletes older ones.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from assist.budget import tokens_settle
from assist.models import Outcome, UsageRecord
from assist.policy import BudgetKind, Decision, Mode, Purpose


def usage_record(
    *,
    user: Any,
    purpose: Purpose,
    decision: Decision,
    outcome: str,
    course_id: int | None = None,
    assignment: Any = None,
    lesson: Any = None,
    prompt_tokens: int = 0,
    completion_tokens: int = 0,
    latency_ms: int | None = None,
) -> UsageRecord:
    """Log one finished request. For a request `charge` reserved tokens for, this is also where
    the reservation becomes the engine's real count (so every charged path must end here)."""
    if course_id is None:
        course_id = getattr(assignment or lesson, "course_id", None)
    if decision.budget == BudgetKind.QUESTIONS and getattr(user, "pk", None):
        tokens_settle(user=user, course_id=course_id, used=prompt_tokens + completion_tokens)
    return UsageRecord.objects.create(
        user=user if getattr(user, "pk", None) else None,
        course_id=course_id,
        feature=purpose,
        assignment_id=getattr(assignment, "pk", None),
        lesson_id=getattr(lesson, "pk", None) or getattr(assignment, "lesson_id", None),
        decision=decision.mode,
        reason=decision.reason[:200],
        outcome=outcome,
        prompt_tokens=max(0, prompt_tokens),
        completion_tokens=max(0, completion_tokens),
        latency_ms=latency_ms,
    )


def usage_refusal(
    *,
    user: Any,
    course_id: int | None,
    purpose: Purpose,
    assignment: Any,
    lesson: Any,
    reason: str,
) -> None:
    UsageRecord.objects.create(
        user=user,
        course_id=course_id,
        feature=purpose,
        assignment_id=getattr(assignment, "pk", None),
        lesson_id=getattr(lesson, "pk", None) or getattr(assignment, "lesson_id", None),
        decision=Mode.NOTHING,
        reason=reason[:200],
        outcome=Outcome.REFUSED,
    )


def usage_purge(*, now: Any = None) -> int:
    """Delete rows older than the retention setting; the number deleted."""
    days = settings.AI_USAGE_RETENTION_DAYS
    if days <= 0:  # 0 keeps everything
        return 0
    cutoff = (now or timezone.now()) - timedelta(days=days)
    deleted, _ = UsageRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
