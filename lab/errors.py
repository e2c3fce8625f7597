from __future__ import annotations

from core.errors import DomainError


class LabRefused(DomainError):
    """The lab will not (or cannot) answer this request; `str()` is the message for the user.

    `code`: empty, too_long, rate_limited, quota, not_allowed, unavailable, bad_exercise.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def refusal_status(refused: LabRefused) -> int:
    """The HTTP status for a refusal: 429 for limits, 503 when the model is unavailable."""
    return {"rate_limited": 429, "quota": 429, "unavailable": 503}.get(refused.code, 400)
