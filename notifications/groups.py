"""Channel-layer group names, built in one place so senders and consumers always agree."""

from __future__ import annotations


def user_group(user_id: int) -> str:
    return f"user.{user_id}"
