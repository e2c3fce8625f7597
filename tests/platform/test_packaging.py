"""Every package of the project is installed by pyproject.toml and copied into the Docker image.

The image once shipped without `learning/` (and later `core/`, `knowledge/`): nothing failed until
the container started. A new app now fails this test instead.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NOT_SHIPPED = {"tests", "bench", "scripts", "docker", "static", "templates", "var", "node_modules"}


def project_packages() -> set[str]:
    return {
        path.parent.name
        for path in ROOT.glob("*/__init__.py")
        if path.parent.name not in NOT_SHIPPED and not path.parent.name.startswith(".")
    }


def test_every_package_is_installed_by_pyproject() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"]["packages"]["find"]["include"]
    listed = {pattern.rstrip("*") for pattern in patterns}
    assert project_packages() - listed == set()


def test_every_package_is_copied_into_the_image() -> None:
    dockerfile = (ROOT / "docker" / "Dockerfile").read_text()
    copied = set(re.findall(r"^COPY (\w+) \./\1$", dockerfile, flags=re.MULTILINE))
    assert project_packages() - copied == set()


def test_every_package_is_an_import_linter_root() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    roots = set(config["tool"]["importlinter"]["root_packages"])
    assert project_packages() - roots == set()
