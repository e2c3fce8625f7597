"""The Docker worker runs under a seccomp profile of ours, never `seccomp=unconfined`.

(These machines have no Docker engine: the files are checked, not a running container.)
"""

from __future__ import annotations

import json
import re

from tests.conftest import ROOT

DOCKER = ROOT / "docker"
# The kernel surface the issue names, which neither bubblewrap nor Python needs.
MUST_DENY = {
    "io_uring_setup",
    "io_uring_enter",
    "io_uring_register",
    "bpf",
    "keyctl",
    "add_key",
    "request_key",
    "ptrace",
    "perf_event_open",
    "userfaultfd",
    "kexec_load",
    "init_module",
}
# What bubblewrap needs to build a sandbox as the image's unprivileged user.
MUST_ALLOW = {"clone", "clone3", "unshare", "mount", "pivot_root", "umount2", "sethostname"}


def test_the_worker_has_a_seccomp_profile_and_no_unconfined_seccomp():
    compose = (DOCKER / "compose.yaml").read_text()
    assert "seccomp=unconfined" not in compose
    profiles = re.findall(r"seccomp=\./([\w.-]+\.json)", compose)
    assert profiles == ["seccomp-worker.json"]


def test_the_profile_denies_the_risky_calls_and_allows_the_namespace_ones():
    profile = json.loads((DOCKER / "seccomp-worker.json").read_text())
    denied = {
        name
        for rule in profile["syscalls"]
        if rule["action"] in ("SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS")
        for name in rule["names"]
    }
    assert MUST_DENY - denied == set()
    assert profile["defaultAction"] == "SCMP_ACT_ALLOW"
    assert MUST_ALLOW & denied == set()


def test_services_in_the_image_run_as_the_unprivileged_user():
    dockerfile = (DOCKER / "Dockerfile").read_text()
    users = re.findall(r"^USER (\S+)$", dockerfile, flags=re.MULTILINE)
    assert users and users[-1] == "llmasos"
    compose = (DOCKER / "compose.yaml").read_text()
    assert re.findall(r"^\s+(user|privileged|cap_add):", compose, flags=re.MULTILINE) == []
