"""Question budgets: each student has N tutor questions that come back one every few minutes.

A leaky bucket stored as (available, checked_at): reading it adds what refilled since, so no
timer is needed. Teachers and admins are not limited. Admins set a per-student capacity or refill
time in the admin; everyone else gets TUTOR_QUOTA_QUESTIONS and TUTOR_QUOTA_REFILL_SECONDS.

The tutor and the playground's AI help draw on the same bucket. Which purpose is charged at all
is assist.policy's decision: callers go through `charge` / `refund` with that decision.

Cost caps sit beside the bucket: model tokens per student and per course per UTC day
(AI_DAILY_TOKENS_PER_USER / _PER_COURSE, or an admin's figure for one student or course). A
charged request reserves AI_TOKEN_RESERVE tokens under a row lock before the model runs, and
the usage log (assist.usage.usage_record) swaps the reservation for the engine's real count.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import Role
from assist.models import AIPolicy, QuestionBudget, TokenDay
from assist.policy import BudgetKind, Decision
from core.errors import DomainError


@dataclass(frozen=True)
class BudgetState:
    unlimited: bool
    available: int = 0
    capacity: int = 0
    refill_seconds: int = 0
    next_question_at: datetime | None = None  # when one more question comes back (None if full)

    def as_dict(self) -> dict[str, object]:
        return {
            "unlimited": self.unlimited,
            "available": self.available,
            "capacity": self.capacity,
            "refill_seconds": self.refill_seconds,
            "next_question_at": self.next_question_at.isoformat()
            if self.next_question_at
            else None,
        }


class QuotaExceeded(DomainError):
    def __init__(self, state: BudgetState) -> None:
        self.state = state
        # An empty bucket always has a next question; "now" only satisfies the type checker.
        next_at = state.next_question_at or timezone.now()
        at = timezone.localtime(next_at).strftime("%H:%M")
        wait = max(1, math.ceil((next_at - timezone.now()).total_seconds() / 60))
        super().__init__(
            gettext(
                "You have no tutor questions left for now. One more comes back at %(at)s "
                "(in about %(wait)d min)."
            )
            % {"at": at, "wait": wait}
        )


class TokenBudgetExceeded(QuotaExceeded):
    """Today's token cap is reached (a QuotaExceeded, so every door already reports it)."""

    def __init__(self, state: BudgetState, message: str) -> None:
        self.state = state
        DomainError.__init__(self, message)


def _is_limited(user: Any) -> bool:
    return user.role == Role.STUDENT and not user.is_platform_admin


def _settings_for(budget: QuestionBudget | None) -> tuple[int, int]:
    capacity = (budget and budget.capacity) or settings.TUTOR_QUOTA_QUESTIONS
    refill = (budget and budget.refill_seconds) or settings.TUTOR_QUOTA_REFILL_SECONDS
    return capacity, refill


def _refilled(budget: QuestionBudget, now: datetime) -> float:
    capacity, refill = _settings_for(budget)
    elapsed = (now - budget.checked_at).total_seconds()
    return min(float(capacity), budget.available + max(0.0, elapsed) / refill)


def _state(budget: QuestionBudget | None, available: float, now: datetime) -> BudgetState:
    capacity, refill = _settings_for(budget)
    next_at = None
    if available < capacity:
        next_at = now + timedelta(seconds=(1 - (available % 1)) * refill)
    return BudgetState(False, int(available), capacity, refill, next_at)


def budget_state(*, user: Any) -> BudgetState:
    if not _is_limited(user):
        return BudgetState(unlimited=True)
    now = timezone.now()
    budget = QuestionBudget.objects.filter(user=user).first()
    if budget is None:
        return _state(None, float(_settings_for(None)[0]), now)
    return _state(budget, _refilled(budget, now), now)


def budget_take(*, user: Any) -> BudgetState:
    """Spend one question, or raise QuotaExceeded saying when the next one comes back."""
    if not _is_limited(user):
        return BudgetState(unlimited=True)
    now = timezone.now()
    with transaction.atomic():
        # Locked: two tabs asking at once must not both spend the last question.
        budget, _ = QuestionBudget.objects.select_for_update().get_or_create(
            user=user,
            defaults={"available": float(_settings_for(None)[0]), "checked_at": now},
        )
        available = _refilled(budget, now)
        if available < 1:
            raise QuotaExceeded(_state(budget, available, now))
        budget.available = available - 1
        budget.checked_at = now
        budget.save(update_fields=["available", "checked_at"])
    return _state(budget, budget.available, now)


def budget_refund(*, user: Any) -> None:
    """Give a question back when the tutor failed to answer it (not when the student stopped)."""
    if not _is_limited(user):
        return
    now = timezone.now()
    with transaction.atomic():
        budget = QuestionBudget.objects.select_for_update().filter(user=user).first()
        if budget is None:
            return
        capacity, _ = _settings_for(budget)
        budget.available = min(float(capacity), _refilled(budget, now) + 1)
        budget.checked_at = now
        budget.save(update_fields=["available", "checked_at"])


def _token_caps(user: Any, course_id: int | None) -> list[tuple[dict[str, Any], int, str]]:
    """(row scope, cap, what the student reads when it is reached) for each cap in force."""
    caps: list[tuple[dict[str, Any], int, str]] = []
    own = QuestionBudget.objects.filter(user=user).values_list("daily_tokens", flat=True).first()
    user_cap = own or settings.AI_DAILY_TOKENS_PER_USER
    if user_cap:
        caps.append(
            (
                {"user_id": user.pk, "course_id": None},
                user_cap,
                gettext("You have used today's AI allowance; it renews at midnight (UTC)."),
            )
        )
    if course_id is not None:
        set_by_admin = (
            AIPolicy.objects.filter(course_id=course_id, lesson=None, assignment=None)
            .values_list("daily_tokens", flat=True)
            .first()
        )
        course_cap = set_by_admin or settings.AI_DAILY_TOKENS_PER_COURSE
        if course_cap:
            caps.append(
                (
                    {"user_id": None, "course_id": course_id},
                    course_cap,
                    gettext(
                        "This course has used today's AI allowance; it renews at midnight (UTC)."
                    ),
                )
            )
    return caps


def tokens_reserve(*, user: Any, course_id: int | None) -> None:
    """Hold AI_TOKEN_RESERVE tokens of today's caps for one request, or raise
    TokenBudgetExceeded when a cap is already reached."""
    if not _is_limited(user):
        return
    caps = _token_caps(user, course_id)
    if not caps:
        return
    day = timezone.now().date()
    with transaction.atomic():
        held = []
        # Locked, user row before course row (one order, no deadlock): parallel requests see
        # each other's reservations, so they cannot all start under the cap at once.
        for scope, cap, message in caps:
            TokenDay.objects.get_or_create(day=day, **scope)
            row = TokenDay.objects.select_for_update().get(day=day, **scope)
            if row.used >= cap:
                raise TokenBudgetExceeded(budget_state(user=user), message)
            held.append(row.pk)
        TokenDay.objects.filter(pk__in=held).update(used=F("used") + settings.AI_TOKEN_RESERVE)


def tokens_settle(*, user: Any, course_id: int | None, used: int) -> None:
    """Swap a request's reservation for the tokens it really used."""
    if not _is_limited(user):
        return
    day = timezone.now().date()
    for scope, _, _ in _token_caps(user, course_id):
        TokenDay.objects.filter(day=day, **scope).update(
            used=F("used") + used - settings.AI_TOKEN_RESERVE
        )


def tokens_used_today(*, user: Any = None, course_id: int | None = None) -> int:
    scope = {"user_id": user.pk, "course_id": None} if user else {"user_id": None}
    if course_id is not None:
        scope["course_id"] = course_id
    row = TokenDay.objects.filter(day=timezone.now().date(), **scope).first()
    return row.used if row else 0


def charge(*, user: Any, decision: Decision, course_id: int | None = None) -> BudgetState:
    """Pay for one model request as `decision` says: from the question budget, or nothing.

    Raises QuotaExceeded when the budget is empty, TokenBudgetExceeded (one) when a daily
    token cap is reached. A purpose that charges nothing reports an unlimited state, which is
    what a teacher already sees today.
    """
    if decision.budget == BudgetKind.QUESTIONS:
        state = budget_take(user=user)
        try:
            tokens_reserve(user=user, course_id=course_id)
        except TokenBudgetExceeded:
            budget_refund(user=user)  # nothing was asked: the question comes back
            raise
        return state
    return BudgetState(unlimited=True)


def refund(*, user: Any, decision: Decision) -> None:
    """Give back what `charge` took for `decision` (the model failed to answer)."""
    if decision.budget == BudgetKind.QUESTIONS:
        budget_refund(user=user)


# One generation per student at a time, across tabs, server processes and doors (the tutor
# socket and page, the ask API). The key expires in case a server dies mid-answer; a finished or
# stopped answer frees it at once.
BUSY_KEY = "tutor:busy:{user_id}"
BUSY_SECONDS = 300


def busy_take(*, user: Any) -> bool:
    """Claim the student's one model slot; False when an answer of theirs is still running."""
    return bool(cache.add(BUSY_KEY.format(user_id=user.pk), 1, timeout=BUSY_SECONDS))


def busy_release(*, user: Any) -> None:
    cache.delete(BUSY_KEY.format(user_id=user.pk))
