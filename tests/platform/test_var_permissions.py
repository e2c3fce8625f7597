"""var/ (databases, secret key, uploads, the broker) is readable by the service's user only."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

TOUCH_THE_DATABASE = """\
import django
django.setup()
from django.db import connection
with connection.cursor() as cursor:
    cursor.execute("CREATE TABLE probe (x INTEGER)")
"""


def test_var_and_its_databases_are_not_world_readable(tmp_path: Path) -> None:
    var = tmp_path / "var"
    var.mkdir(mode=0o755)  # as an older checkout left it
    var.chmod(0o755)
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SECRET_KEY")},
        "LLMASOS_VAR_DIR": str(var),
        "DJANGO_SETTINGS_MODULE": "llmasos.settings",
        "DATABASE_URL": "",
    }
    result = subprocess.run(
        [sys.executable, "-c", TOUCH_THE_DATABASE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stderr[-2000:]
    assert stat.S_IMODE(var.stat().st_mode) == 0o700
    for name in ("db.sqlite3", "secret_key"):
        assert stat.S_IMODE((var / name).stat().st_mode) == 0o600, name
