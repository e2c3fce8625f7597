"""The start-up self-test sees a sandbox that does not isolate, and then no code runs at all."""

from __future__ import annotations

import pytest

from sandbox import Limits, SandboxError, isolation, run_program, run_tests, selftest


def test_a_working_sandbox_passes_its_self_test() -> None:
    assert selftest.isolation_problems() == []


@pytest.fixture
def broken_sandbox(monkeypatch: pytest.MonkeyPatch):
    """bwrap sharing the host's network and without the seccomp filter, as a bad edit would."""
    share_net = isolation._bwrap_prefix

    def prefix(limits: Limits) -> list[str]:
        return [*share_net(limits), "--share-net"]

    monkeypatch.setattr(isolation, "_bwrap_prefix", prefix)
    monkeypatch.setattr(isolation.seccomp, "filter_fd", lambda: None)
    monkeypatch.setattr(selftest, "_checked", None)
    yield
    selftest.reset()


def test_a_sandbox_that_reaches_the_network_is_refused(broken_sandbox) -> None:
    problems = selftest.isolation_problems()

    assert any(problem.startswith("the network is reachable") for problem in problems), problems
    assert "an AF_INET socket opens (no seccomp filter)" in problems
    with pytest.raises(SandboxError, match="does not isolate"):
        run_program(code="print('hi')")
    with pytest.raises(SandboxError, match="does not isolate"):
        run_tests(solution="X = 1\n", test_source="def test_it():\n    assert True\n")
