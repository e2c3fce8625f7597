"""The sandbox's own tests run against the real bubblewrap; a machine without it skips them
(CI must have it)."""

from __future__ import annotations

import pytest

from tests.conftest import require_sandbox
from tests.sandbox.hostile import canaries  # noqa: F401 - a fixture the hostile tests use


@pytest.fixture(autouse=True, scope="session")
def _sandbox_works() -> None:
    require_sandbox()
