"""What a lab call costs a student: a rate per minute, and tutor questions from the budget.

Both live where the tutor's and playground's do (the cache, and assist's question budget), so
the limits hold across tabs and server processes. A forward pass over 64 tokens is far cheaper
than a tutor answer, so one question pays for LAB_CALLS_PER_QUESTION calls; a speed measurement
generates tokens for seconds and costs a question on its own, at most one per LAB_SPEED_SECONDS.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _

from assist.budget import QuotaExceeded, charge, refund
from assist.policy import Purpose, decide
from core.ratelimit import calls_this_minute
from lab.errors import LabRefused

RATE_KEY = "lab:calls:{user_id}:{minute}"
COUNT_KEY = "lab:count:{user_id}"
SPEED_KEY = "lab:speed:{user_id}"


def lab_admit(*, user: Any, speed: bool = False) -> bool:
    """Count one lab call for `user`; True when it was charged a question (to refund on failure).

    Raises LabRefused when the rate, the speed cool-down or the question budget says no.
    """
    decision = decide(user=user, purpose=Purpose.LAB)
    if not decision.allowed:
        raise LabRefused("not_allowed", _("Sign in to use the lab."))
    calls, wait = calls_this_minute(key_format=RATE_KEY, user_id=user.pk)
    if calls > settings.LAB_CALLS_PER_MINUTE:
        raise LabRefused(
            "rate_limited",
            _("You made %(calls)s lab requests this minute; wait %(wait)s s before the next.")
            % {"calls": settings.LAB_CALLS_PER_MINUTE, "wait": wait},
        )
    if speed and not cache.add(
        SPEED_KEY.format(user_id=user.pk), 1, timeout=settings.LAB_SPEED_SECONDS
    ):
        raise LabRefused(
            "rate_limited",
            _("One speed measurement per %(seconds)s s: the machine is shared.")
            % {"seconds": settings.LAB_SPEED_SECONDS},
        )
    count_key = COUNT_KEY.format(user_id=user.pk)
    cache.add(count_key, 0, timeout=None)
    charged = speed or (cache.incr(count_key) - 1) % settings.LAB_CALLS_PER_QUESTION == 0
    if not charged:
        return False
    try:
        state = charge(user=user, decision=decision)
    except QuotaExceeded as exc:
        # Not paid for: the next call must try to charge again.
        if not speed:
            cache.decr(count_key)
        else:
            cache.delete(SPEED_KEY.format(user_id=user.pk))
        raise LabRefused("quota", str(exc).replace("tutor questions", "AI questions")) from exc
    return not state.unlimited


def lab_refund(*, user: Any, charged: bool) -> None:
    """The model could not answer: give back the question the call was charged."""
    if charged:
        refund(user=user, decision=decide(user=user, purpose=Purpose.LAB))
