"""Run the parser in a child process under memory, CPU and wall-clock limits."""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

from django.conf import settings

from knowledge.parsing import Document, ParseError, Section, gettext_noop


def _limit_child() -> None:  # runs in the child between fork and exec
    memory = settings.KB_PARSE_MEMORY_MB * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    cpu = settings.KB_PARSE_CPU_SECONDS
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def parse_limited(path: Path, kind: str) -> Document:
    root = Path(settings.BASE_DIR)
    try:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and module, no shell
            [sys.executable, "-m", "knowledge.parse_worker", str(path), kind],
            cwd=root,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
            preexec_fn=_limit_child,
            env={**os.environ, "DJANGO_SETTINGS_MODULE": "", "PYTHONPATH": str(root)},
        )
    except OSError as exc:
        raise ParseError(f"The parser could not start: {exc}") from exc
    try:
        stdout, stderr = process.communicate(timeout=settings.KB_PARSE_WALL_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise ParseError(
            f"Reading the file took longer than {settings.KB_PARSE_WALL_SECONDS} s; "
            "it may be damaged or built to be expensive to read."
        ) from None
    if process.returncode != 0:
        if process.returncode in (-signal.SIGXCPU, -signal.SIGKILL):
            raise ParseError(
                "Reading the file used more CPU time than allowed; it may be "
                "damaged or built to be expensive to read."
            )
        if b"MemoryError" in stderr:
            raise ParseError(
                f"Reading the file needed more than {settings.KB_PARSE_MEMORY_MB} MB "
                "of memory; it may be a compression bomb."
            )
        raise ParseError(
            f"The parser failed (exit {process.returncode}): "
            f"{stderr.decode(errors='replace')[-300:]}"
        )
    try:
        result = json.loads(stdout)
    except ValueError:
        raise ParseError(gettext_noop("The parser returned nothing readable.")) from None
    if "error" in result:
        raise ParseError(result["error"])
    return Document(
        sections=[Section(**section) for section in result["sections"]],
        hidden_chars=int(result.get("hidden_chars", 0)),
    )
