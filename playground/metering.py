"""Per-student limits on playground runs: how many start per minute, how many run at once.

Both doors (the socket and POST /api/playground/run/) and both kinds of run (a program, an
assignment's visible tests) go through `run_admit` / `run_release`. State lives in the cache
(Redis in production), so the limits hold across tabs and server processes:

- the rate is a counter per student and minute;
- each running program holds one of PLAYGROUND_MAX_CONCURRENT_RUNS slot keys, taken with an
  atomic `add` and freed when the run ends. A slot expires on its own shortly after the longest
  possible run, so a server that dies mid-run cannot lock a student out.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _

from core.ratelimit import calls_this_minute
from playground.services import PlaygroundError

RATE_KEY = "playground:runs:{user_id}:{minute}"
SLOT_KEY = "playground:slot:{user_id}:{n}"


def run_admit(*, user: Any) -> str:
    """Count one run and take a run slot; the slot's key, for `run_release`.

    Raises PlaygroundError("rate_limited" or "too_many_runs") with a message for the student.
    """
    runs, wait = calls_this_minute(key_format=RATE_KEY, user_id=user.pk)
    if runs > settings.PLAYGROUND_RUNS_PER_MINUTE:
        raise PlaygroundError(
            "rate_limited",
            _("You started %(runs)s runs this minute; wait %(wait)s s before the next.")
            % {"runs": settings.PLAYGROUND_RUNS_PER_MINUTE, "wait": wait},
        )
    # A bit more than the longest a run can last (wall limit plus stopping it).
    timeout = int(max(settings.PLAYGROUND_WALL_SECONDS, settings.SANDBOX_WALL_SECONDS)) + 30
    token = uuid.uuid4().hex
    for n in range(settings.PLAYGROUND_MAX_CONCURRENT_RUNS):
        key = SLOT_KEY.format(user_id=user.pk, n=n)
        if cache.add(key, token, timeout=timeout):
            return key
    raise PlaygroundError(
        "too_many_runs",
        _("You already have %(count)s programs running; stop one or wait for it to end.")
        % {"count": settings.PLAYGROUND_MAX_CONCURRENT_RUNS},
    )


def run_release(*, slot: str) -> None:
    cache.delete(slot)
