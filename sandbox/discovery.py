"""Finding the tests in a test file without running it.

The runner needs the list before the run: the harness reports only these names (each once), so
student code cannot invent passes, and a test that never reported is shown as "not run". Saving
an assignment uses the same list to check the file and to name hidden tests.
"""

from __future__ import annotations

import ast

from django.utils.translation import gettext


class TestFileError(ValueError):
    """The test file cannot be used: a syntax error, no tests, a test that takes arguments."""

    __test__ = False


def test_names(test_source: str) -> list[str]:
    """The tests in a test file, in file order, found without running it.

    Module-level `test*` functions (pytest style) and the `test*` methods of classes deriving from
    a `...TestCase` (directly or through another class in the file), as `Class.method`.
    """
    try:
        tree = ast.parse(test_source)
    except SyntaxError as error:
        raise TestFileError(
            gettext("The test file has a syntax error on line %(line)s: %(error)s.")
            % {"line": error.lineno, "error": error.msg}
        ) from None
    except ValueError as error:  # NUL bytes
        raise TestFileError(
            gettext("The test file cannot be read as Python: %(error)s.") % {"error": error}
        ) from None
    names: dict[str, None] = {}  # ordered set; a redefinition replaces the earlier test
    case_methods: dict[str, list[str]] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            if not node.name.startswith("test"):
                continue
            if isinstance(node, ast.AsyncFunctionDef):
                raise TestFileError(
                    gettext("Test %(name)s (line %(line)s) is async; use a plain function.")
                    % {"name": node.name, "line": node.lineno}
                )
            arguments = node.args
            required = len(arguments.posonlyargs) + len(arguments.args) - len(arguments.defaults)
            required += sum(default is None for default in arguments.kw_defaults)
            if required:
                raise TestFileError(
                    f"Test {node.name} (line {node.lineno}) takes arguments; pytest fixtures and "
                    "parametrize are not supported, so write tests without parameters."
                )
            names.pop(node.name, None)
            names[node.name] = None
        elif isinstance(node, ast.ClassDef):
            bases = [_dotted(base) for base in node.bases]
            if not any(base.endswith("TestCase") or base in case_methods for base in bases):
                continue
            methods: dict[str, None] = {}
            for base in bases:
                methods.update(dict.fromkeys(case_methods.get(base, [])))
            for item in node.body:
                if not isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                    continue
                if item.name.startswith("test"):
                    methods[item.name] = None
            case_methods[node.name] = list(methods)
            for method in methods:
                names.pop(f"{node.name}.{method}", None)
                names[f"{node.name}.{method}"] = None
    if not names:
        raise TestFileError(
            "No tests found: write functions named test_… or unittest.TestCase classes with "
            "test_… methods."
        )
    return list(names)


test_names.__test__ = False  # type: ignore[attr-defined]  # pytest: a function, not a test


def _dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return node.id if isinstance(node, ast.Name) else ""
