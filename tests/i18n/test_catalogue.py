"""The Chinese catalogue is complete: every string the code and templates mark for translation
has a zh_Hans translation that is neither missing nor fuzzy, and msgfmt accepts the catalogue
with its placeholders checked.

makemessages runs on a copy of the project made of symlinks (so the real catalogue is never
rewritten by a test): a string marked after the catalogue was last refreshed shows up as an
untranslated msgid and fails the suite, listed by name.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.conftest import ROOT

CATALOGUE = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
# What `make messages` leaves out (see the Makefile): not shipped, or not our strings.
NOT_SCANNED = {".git", ".venv", "var", "node_modules", "bench", "tests", "static", "locale"}


def _refreshed_catalogue(tmp_path: Path, settings, monkeypatch, extra: str = "") -> Path:
    """makemessages over a symlinked copy of the project, merged into a copy of the catalogue."""
    project = tmp_path / "project"
    project.mkdir()
    for entry in ROOT.iterdir():
        if entry.name not in NOT_SCANNED and not entry.name.startswith("."):
            (project / entry.name).symlink_to(entry)
    if extra:
        (project / "extra_strings.py").write_text(extra)
    locale = project / "locale"
    target = locale / "zh_Hans" / "LC_MESSAGES" / "django.po"
    target.parent.mkdir(parents=True)
    shutil.copy(CATALOGUE, target)
    settings.LOCALE_PATHS = [str(locale)]
    monkeypatch.chdir(project)
    call_command(
        "makemessages",
        locale=["zh_Hans"],
        no_location=True,
        symlinks=True,
        verbosity=0,
    )
    return target


def _msgids(po: Path, *flags: str) -> list[str]:
    """The msgids msgattrib selects with `flags` (the header, msgid "", left out)."""
    output = subprocess.run(
        ["msgattrib", *flags, "--no-obsolete", "--no-wrap", str(po)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [
        line.removeprefix("msgid ")
        for line in output.splitlines()
        if line.startswith("msgid ") and line != 'msgid ""'
    ]


def _problems(po: Path) -> list[str]:
    untranslated = [f"untranslated: {msgid}" for msgid in _msgids(po, "--untranslated")]
    fuzzy = [f"fuzzy: {msgid}" for msgid in _msgids(po, "--only-fuzzy")]
    return untranslated + fuzzy


def test_every_marked_string_has_a_chinese_translation(tmp_path, settings, monkeypatch):
    refreshed = _refreshed_catalogue(tmp_path, settings, monkeypatch)
    problems = _problems(refreshed)
    assert not problems, (
        "Strings without a zh_Hans translation; run `make messages` and translate them in "
        f"{CATALOGUE.relative_to(ROOT)}:\n" + "\n".join(problems)
    )


def test_a_newly_marked_string_is_reported_until_it_is_translated(tmp_path, settings, monkeypatch):
    extra = (
        "from django.utils.translation import gettext\n\n"
        'MESSAGE = gettext("A sentence nobody has translated yet.")\n'
    )
    refreshed = _refreshed_catalogue(tmp_path, settings, monkeypatch, extra=extra)
    assert _problems(refreshed) == ['untranslated: "A sentence nobody has translated yet."']


def test_the_catalogue_compiles_with_its_placeholders_checked(tmp_path):
    result = subprocess.run(
        ["msgfmt", "--check", "-o", str(tmp_path / "django.mo"), str(CATALOGUE)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


def test_a_translation_that_drops_a_placeholder_is_refused(tmp_path):
    # What the check above guards against: a msgstr that loses %(title)s would print the raw
    # text, or raise KeyError/TypeError at runtime.
    broken = tmp_path / "broken.po"
    broken.write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        "#, python-format\n"
        'msgid "Course “%(title)s” created."\nmsgstr "课程已创建，%(name)s。"\n',
        encoding="utf-8",
    )
    result = subprocess.run(
        ["msgfmt", "--check", "-o", str(tmp_path / "broken.mo"), str(broken)],
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "name" in result.stderr


@pytest.mark.parametrize("language", ["zh_Hans"])
def test_the_compiled_catalogue_is_what_the_site_loads(language):
    # The conftest builds the .mo from the .po at start-up; a stale or missing one would serve
    # English to Chinese readers without any error.
    po = ROOT / "locale" / language / "LC_MESSAGES" / "django.po"
    mo = po.with_suffix(".mo")
    assert mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime
