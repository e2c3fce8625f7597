"""Checks that an assignment can grade fairly before it is saved (used by the form and the API).

A code assignment's test file must load, and its reference solution, when there is one, must pass
every test in the sandbox with the assignment's own limits: a teacher learns about a broken test
before thirty students do.
"""

from __future__ import annotations

import ast
import keyword
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from sandbox import Limits, TestFileError, Verdict, run_tests, test_names

# What a teacher may change per assignment, and the sane range of each.
LIMIT_RANGES: dict[str, tuple[float, float]] = {
    "cpu_seconds": (0.1, 60),
    "wall_seconds": (0.5, 120),
    "memory_mb": (32, 2048),
    "output_kb": (1, 10_240),
}


@dataclass
class CodeCheck:
    test_names: list[str] = field(default_factory=list)
    problems: dict[str, str] = field(default_factory=dict)  # form field -> what is wrong

    @property
    def ok(self) -> bool:
        return not self.problems


def test_source_without(test_code: str, names: set[str]) -> str:
    """The test file minus the named tests ("Class.test_x" or "test_x"): what a student may run
    before submitting. Hidden tests never reach the student's sandbox, so they cannot be probed."""
    if not names:
        return test_code
    tree = ast.parse(test_code)
    body: list[ast.stmt] = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name in names:
            continue
        if isinstance(node, ast.ClassDef):
            node.body = [
                member
                for member in node.body
                if not (
                    isinstance(member, ast.FunctionDef | ast.AsyncFunctionDef)
                    and f"{node.name}.{member.name}" in names
                )
            ] or [ast.Pass()]
        body.append(node)
    tree.body = body
    return ast.unparse(tree)


def module_name_problem(name: str) -> str | None:
    if not name.isidentifier() or keyword.iskeyword(name):
        return _("Use a Python module name: letters, digits and underscores, e.g. solution.")
    if name in {"harness", "tests", "test", "unittest", "sys", "os"}:
        return _("“%(name)s” would shadow a module the tests need; choose another name.") % {
            "name": name
        }
    return None


def limits_problems(limits: dict[str, Any]) -> list[str]:
    problems = []
    for key, value in limits.items():
        if key not in LIMIT_RANGES:
            problems.append(
                _("Unknown limit “%(key)s”; allowed: %(allowed)s.")
                % {"key": key, "allowed": ", ".join(LIMIT_RANGES)}
            )
            continue
        low, high = LIMIT_RANGES[key]
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not low <= value <= high
        ):
            problems.append(
                _("%(key)s must be a number from %(low)s to %(high)s.")
                % {"key": key, "low": f"{low:g}", "high": f"{high:g}"}
            )
    return problems


def assignment_limits(limits: dict[str, Any]) -> Limits:
    return Limits.from_settings(**{key: limits.get(key) for key in LIMIT_RANGES})


def code_assignment_check(
    *,
    test_code: str,
    module_name: str,
    reference_solution: str,
    starter_code: str,
    weights: dict[str, Any],
    hidden_tests: list[str],
    limits: dict[str, Any],
    concepts: Sequence[str] = (),
    test_concepts: dict[str, list[str]] | None = None,
) -> CodeCheck:
    check = CodeCheck()
    if not test_code.strip():
        check.problems["test_code"] = _("A code assignment needs a test file.")
        return check
    if problem := module_name_problem(module_name):
        check.problems["module_name"] = problem
    if problems := limits_problems(limits):
        check.problems["limits"] = " ".join(problems)
    try:
        check.test_names = test_names(test_code)
    except TestFileError as error:
        check.problems["test_code"] = str(error)
        return check
    known = set(check.test_names)
    unknown = sorted((set(weights) | set(hidden_tests)) - known)
    if unknown:
        check.problems["weights" if set(unknown) & set(weights) else "hidden_tests"] = _(
            "No test is called %(unknown)s. The tests are: %(tests)s."
        ) % {"unknown": ", ".join(unknown), "tests": ", ".join(check.test_names)}
    test_concepts = test_concepts or {}
    if unknown := sorted(set(test_concepts) - known):
        check.problems["test_concepts"] = _("No test is called %(unknown)s.") % {
            "unknown": ", ".join(unknown)
        }
    elif stray := sorted({c for tags in test_concepts.values() for c in tags} - set(concepts)):
        check.problems["test_concepts"] = _(
            "Tests can only be tagged with the assignment's concepts; add %(concepts)s "
            "to its concepts or remove the tag."
        ) % {"concepts": ", ".join(stray)}
    bad_weights = [name for name, weight in weights.items() if not _positive_number(weight)]
    if bad_weights:
        check.problems["weights"] = _("Weights must be positive numbers (%(tests)s).") % {
            "tests": ", ".join(bad_weights)
        }
    if not check.ok:
        return check

    sandbox_limits = assignment_limits(limits)
    if reference_solution.strip():
        result = run_tests(
            solution=reference_solution,
            test_source=test_code,
            module_name=module_name,
            limits=sandbox_limits,
        )
        if result.verdict != Verdict.PASSED:
            not_passed = [
                f"{test.name} ({test.outcome}{': ' + test.message[:200] if test.message else ''})"
                for test in result.tests
                if test.outcome != "passed"
            ]
            detail = result.problem or "; ".join(not_passed[:5])
            check.problems["reference_solution"] = _(
                "The reference solution does not pass every test (%(verdict)s): %(detail)s"
            ) % {"verdict": result.verdict, "detail": detail}
    else:
        # No reference: the test file must at least load next to the starter code.
        result = run_tests(
            solution=starter_code or "",
            test_source=test_code,
            module_name=module_name,
            limits=sandbox_limits,
        )
        if result.verdict == Verdict.ERROR and all(t.outcome == "not_run" for t in result.tests):
            check.problems["test_code"] = _(
                "The tests could not be loaded with the starter code: %(problem)s"
            ) % {"problem": result.problem}
    return check


def _positive_number(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | float) and value > 0


def rubric_problems(rubric: Any) -> list[str]:
    if not isinstance(rubric, list) or not rubric:
        return [_("Add at least one criterion with its points.")]
    problems = []
    for index, item in enumerate(rubric, start=1):
        if not isinstance(item, dict) or not str(item.get("criterion", "")).strip():
            problems.append(_("Criterion %(index)s needs a description.") % {"index": index})
        elif not _positive_number(item.get("points")):
            problems.append(
                _("Criterion %(index)s needs a positive number of points.") % {"index": index}
            )
        else:
            for key in ("facts", "wrong"):
                listed = item.get(key, [])
                if not isinstance(listed, list) or not all(
                    isinstance(text, str) and text.strip() for text in listed
                ):
                    problems.append(
                        _("Criterion %(index)s: “%(key)s” must be a list of sentences.")
                        % {"index": index, "key": key}
                    )
    return problems


def concepts_problem(course: Any, concepts: list[str]) -> str:
    """Once a course has a concept graph, assignments may only name its concepts.

    The graph is the learning app's; grading reads it through the catalogue learning registers
    (grading/hooks.py), so that grading does not import learning."""
    from grading.hooks import concepts_known

    known = concepts_known(course=course)
    if known and (unknown := sorted(set(concepts) - known)):
        return _(
            "The course has no concept called %(concepts)s; "
            "define it on the Concepts page first, or use one of its concepts."
        ) % {"concepts": ", ".join(unknown)}
    return ""


def text_assignment_problems(*, reference_answer: str, rubric: Any) -> dict[str, list[str]]:
    """What is missing from a text assignment, by field (the form and the API share it)."""
    problems: dict[str, list[str]] = {}
    if not reference_answer.strip():
        problems["reference_answer"] = [_("A text assignment needs a reference answer.")]
    if found := rubric_problems(rubric):
        problems["rubric"] = found
    return problems
