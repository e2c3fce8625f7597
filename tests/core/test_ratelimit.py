"""The per-minute call counter behind the playground's and the lab's rate limits."""

from __future__ import annotations

from core import ratelimit
from tests.conftest import clock_at

KEY = "test:calls:{user_id}:{minute}"


def test_calls_count_per_user_within_a_minute_and_say_how_long_to_wait(monkeypatch):
    clock_at(monkeypatch, 1_800_000_000 // 60 * 60 + 15)
    counts = [ratelimit.calls_this_minute(key_format=KEY, user_id=1) for _ in range(3)]
    assert counts == [(1, 45), (2, 45), (3, 45)]
    assert ratelimit.calls_this_minute(key_format=KEY, user_id=2) == (1, 45)


def test_the_count_starts_again_when_the_minute_turns(monkeypatch):
    start = 1_800_000_000 // 60 * 60
    clock_at(monkeypatch, start + 59)
    ratelimit.calls_this_minute(key_format=KEY, user_id=1)
    ratelimit.calls_this_minute(key_format=KEY, user_id=1)
    clock_at(monkeypatch, start + 60)
    assert ratelimit.calls_this_minute(key_format=KEY, user_id=1) == (1, 60)
