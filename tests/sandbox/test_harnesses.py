"""The two harness files, read as source: each runs alone inside the sandbox on /usr's Python.

So each may import only the standard library, and the few helpers both need are copies that must
not drift apart (a fix to one, say to the resource limits, has to reach the other).
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

import sandbox

PACKAGE = Path(sandbox.__file__).parent
HARNESSES = [PACKAGE / "harness_tests.py", PACKAGE / "harness_programs.py"]
SHARED = {
    "INPUT_DIR",
    "WORK_DIR",
    "EFBIG",
    "_make_undumpable",
    "_set_limits",
    "_virtual_memory_bytes",
    "_install_conveniences",
    "_write_all",
}


def _definitions(path: Path) -> dict[str, str]:
    """Top-level functions and assignments by name, as AST dumps (comments do not count)."""
    found = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.FunctionDef):
            found[node.name] = ast.dump(node)
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                names = target.elts if isinstance(target, ast.Tuple) else [target]
                for name in names:
                    if isinstance(name, ast.Name):
                        found[name.id] = ast.dump(node)
    return found


def _imported_modules(path: Path, *, top_level_only: bool = False) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes: list[ast.AST] = list(tree.body) if top_level_only else list(ast.walk(tree))
    modules: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            modules.update(alias.name.partition(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            modules.add((node.module or "").partition(".")[0])
    return modules


def test_the_helpers_both_harnesses_need_are_identical_copies() -> None:
    tests, programs = (_definitions(path) for path in HARNESSES)

    for name in sorted(SHARED):
        assert name in tests and name in programs, name
        assert tests[name] == programs[name], f"{name} differs between the two harness files"


@pytest.mark.parametrize("path", HARNESSES, ids=[path.name for path in HARNESSES])
def test_a_harness_imports_only_the_standard_library(path: Path) -> None:
    modules = _imported_modules(path)

    assert modules <= set(sys.stdlib_module_names) | {"__future__"}, modules


def test_the_program_harness_starts_without_the_test_harness_imports() -> None:
    # Each of these costs a playground program milliseconds before its first line runs.
    heavy = {"unittest", "json", "re", "signal", "traceback", "select"}

    assert not _imported_modules(HARNESSES[1], top_level_only=True) & heavy
