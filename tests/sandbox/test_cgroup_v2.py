"""The cgroup v2 half of `sandbox/cgroups.py`, on a stand-in tree.

These machines mount cgroup v1, so the real v2 path cannot run here: a directory laid out like a
cgroup2 mount (cgroup.controllers at its root) stands in for it, named as the double it is. The
kernel's part (creating the interface files, counting events) is played by the test; what is
checked is ours: which files the run's group writes, what it joins, how it reads a hit cap and
how it kills. The v1 path runs against the real kernel in test_kernel_surface.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox import cgroups


@pytest.fixture
def cgroup2_tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    root = tmp_path / "cgroup"
    root.mkdir()
    (root / "cgroup.controllers").write_text("cpuset cpu io memory pids\n")
    (root / "cgroup.subtree_control").write_text("cpu\n")
    monkeypatch.setattr(cgroups, "CGROUP_ROOT", root)
    cgroups._layout.cache_clear()
    yield root
    cgroups._layout.cache_clear()


def test_a_v2_tree_is_recognised_and_the_controllers_enabled(cgroup2_tree: Path) -> None:
    assert cgroups.available()
    parent = cgroup2_tree / cgroups.PARENT
    assert parent.is_dir()
    # memory and pids are handed down from the root to our subtree (the double keeps only the
    # last write; the kernel would add each to the list)
    assert (cgroup2_tree / "cgroup.subtree_control").read_text() in ("+memory", "+pids")
    assert (parent / "cgroup.subtree_control").read_text() == "+memory +pids"


def test_a_v2_run_group_caps_memory_and_tasks_in_one_group(cgroup2_tree: Path) -> None:
    group = cgroups.run_group(memory_bytes=300 << 20, processes=12)
    assert group is not None
    made = [p for p in (cgroup2_tree / cgroups.PARENT).iterdir() if p.is_dir()]
    assert len(made) == 1  # one group for both controllers, unlike v1's two
    assert (made[0] / "memory.max").read_text() == str(300 << 20)
    assert (made[0] / "memory.swap.max").read_text() == "0"
    assert (made[0] / "pids.max").read_text() == "12"
    argv = group.join_argv()
    assert argv[-1] == "--" and argv[-2] == str(made[0] / "cgroup.procs")


def test_v2_events_say_which_cap_was_hit(cgroup2_tree: Path) -> None:
    group = cgroups.run_group(memory_bytes=1 << 20, processes=4)
    assert group is not None
    [path] = [p for p in (cgroup2_tree / cgroups.PARENT).iterdir() if p.is_dir()]
    (path / "pids.events").write_text("max 0\n")
    (path / "memory.events").write_text("low 0\nhigh 0\nmax 3\noom 1\noom_kill 0\n")
    assert group.exceeded() is None
    (path / "memory.events").write_text("low 0\nhigh 0\nmax 9\noom 2\noom_kill 1\n")
    assert group.exceeded() == "memory"
    (path / "pids.events").write_text("max 5\n")
    assert group.exceeded() == "processes"  # a refused fork outranks the memory it then lacked


def test_a_v2_group_is_killed_through_cgroup_kill_and_removed(cgroup2_tree: Path) -> None:
    group = cgroups.run_group(memory_bytes=1 << 20, processes=4)
    assert group is not None
    [path] = [p for p in (cgroup2_tree / cgroups.PARENT).iterdir() if p.is_dir()]
    (path / "cgroup.kill").write_text("0")
    killed: list[str] = []
    original_rmdir = Path.rmdir

    def rmdir(self: Path) -> None:  # the kernel removes a dead group's interface files itself
        if self == path:
            killed.append((path / "cgroup.kill").read_text())
            for child in path.iterdir():
                child.unlink()
        original_rmdir(self)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Path, "rmdir", rmdir)
        group.remove()
    assert killed == ["1"]
    assert not path.exists()
