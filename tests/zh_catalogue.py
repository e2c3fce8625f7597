"""The compiled zh_Hans catalogue for tests that read the interface in Chinese.

`.mo` files are build output (not committed): compile them once per run when a `.po` is newer,
and drop Django's cached catalogues so a catalogue loaded before compiling is not reused.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import translation
from django.utils.translation import trans_real


def _stale() -> bool:
    for po in Path(settings.LOCALE_PATHS[0]).glob("zh_Hans/LC_MESSAGES/*.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            return True
    return False


@pytest.fixture(scope="session")
def _zh_compiled() -> None:
    if _stale():
        call_command("compilemessages", locale=["zh_Hans"], verbosity=0)
        # Private caches that no public API resets (Django's test signals reset
        # _translations the same way when LOCALE_PATHS changes).
        trans_real._translations = {}  # type: ignore[attr-defined]
        trans_real._default = None  # type: ignore[attr-defined]


@pytest.fixture
def zh_catalogue(_zh_compiled: None) -> Iterator[None]:
    yield
    # LocaleMiddleware activates a request's language for the thread and leaves it there; the
    # test client runs requests in the test's thread, so a Chinese request would make the next
    # test's direct service calls speak Chinese.
    translation.deactivate()
