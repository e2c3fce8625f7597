"""Domain errors on HTML pages: a refused service call becomes an error message, once.

The API maps `DomainError` to 409 `{"detail": ...}` in `llmasos/api.py`; pages instead redirect
with the reason flashed. This is that mapping, so a view says only what happens on success.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.contrib import messages
from django.http import HttpRequest

from core.errors import DomainError


class Refusal:
    """How a `refusal_as_message` block ended: truthy (with `message`) when it was refused."""

    __slots__ = ("message",)

    def __init__(self) -> None:
        self.message: str | None = None

    def __bool__(self) -> bool:
        return self.message is not None


@contextmanager
def refusal_as_message(request: HttpRequest) -> Iterator[Refusal]:
    """Run a service call; on `DomainError` flash its text as an error and carry on.

    with refusal_as_message(request) as refused:
        services.course_set_published(course=course, published=True)
    if not refused:
        messages.success(request, "Course published.")
    """
    refusal = Refusal()
    try:
        yield refusal
    except DomainError as error:
        refusal.message = str(error)
        messages.error(request, refusal.message)
