"""Counting a user's calls per clock minute in the shared cache (Redis in production), for the
doors that limit how often one person may use them (playground runs, lab instruments)."""

from __future__ import annotations

import time

from django.core.cache import cache


def calls_this_minute(*, key_format: str, user_id: int) -> tuple[int, int]:
    """Count one call; (calls by the user in this clock minute, seconds until the next one).

    `key_format` names the counter, with `{user_id}` and `{minute}` in it. The counter is
    created and incremented atomically, so concurrent calls on several processes all count.
    """
    now = time.time()
    key = key_format.format(user_id=user_id, minute=int(now // 60))
    cache.add(key, 0, timeout=120)
    return cache.incr(key), 60 - int(now % 60)
