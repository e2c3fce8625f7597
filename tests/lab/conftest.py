from __future__ import annotations

import pytest

from tests.lab.doubles import LabDouble


@pytest.fixture
def lab_double(monkeypatch) -> LabDouble:
    """The lab's model access replaced by the named double (tests/lab/doubles.py)."""
    double = LabDouble()
    monkeypatch.setattr("lab.services.lab_call", double)
    return double


@pytest.fixture
def signed_in(client, student):
    client.force_login(student)
    return client
