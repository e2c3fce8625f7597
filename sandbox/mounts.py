"""What of the host's /usr a sandbox sees: only what its Python needs, read-only.

Binding all of /usr would show every program and library on the server (compilers, setuid
helpers, the worker's own tools) and give runs shared files to lock or probe. The interpreter,
its standard library, the architecture's shared-library directory (the interpreter's and its
extension modules' dependencies), the dynamic loader and the time zones are enough.
"""

from __future__ import annotations

import functools
import os
import subprocess


@functools.cache
def system_mounts(python: str) -> tuple[str, ...]:
    """Read-only binds of what `python` needs and nothing else of the host: the interpreter, its
    standard library, the shared libraries (the architecture's library directory: the
    interpreter's and its extension modules' dependencies live there) and the time zones."""
    mounts: list[str] = []
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        path = f"/{name}"
        if os.path.islink(path):  # merged /usr: /lib -> usr/lib... point into what is bound
            mounts += ["--symlink", os.readlink(path), path]
        elif name.startswith("lib") and os.path.isdir(path):  # an older split /usr layout
            mounts += ["--ro-bind", path, path]
    real = os.path.realpath(python)
    if real != python:  # /usr/bin/python3 -> python3.11
        mounts += ["--ro-bind", real, real, "--symlink", real, python]
    else:
        mounts += ["--ro-bind", real, real]
    for path in _python_dirs(real):
        mounts += ["--ro-bind", path, path]
    return tuple(mounts)


def _python_dirs(python: str) -> list[str]:
    """The directories `python` reads from: its standard library, its architecture's shared
    libraries, the dynamic loader's directory and the time-zone database."""
    script = (
        "import sysconfig\n"
        "print(sysconfig.get_path('stdlib')); print(sysconfig.get_path('platstdlib'))\n"
        "print(sysconfig.get_config_var('LIBDIR') or '')\n"
        "multiarch = sysconfig.get_config_var('MULTIARCH')\n"
        "print(f'/usr/lib/{multiarch}' if multiarch else '')\n"
    )
    try:
        answer = subprocess.run(  # noqa: S603 - the configured interpreter, a fixed script
            [python, "-S", "-c", script],
            capture_output=True,
            text=True,
            timeout=20,
            check=True,
            env={"PATH": "/usr/bin:/bin"},
        ).stdout.split()
    except (OSError, subprocess.SubprocessError):
        answer = []  # no Python there: bwrap then fails to start it, and the runner says so
    candidates = [*answer, "/usr/lib64", "/usr/share/zoneinfo"]
    dirs: list[str] = []
    for path in candidates:
        path = os.path.realpath(path)
        inside = any(path == kept or path.startswith(kept + "/") for kept in dirs)
        if path.startswith("/usr/") and os.path.isdir(path) and not inside:
            dirs = [kept for kept in dirs if not kept.startswith(path + "/")] + [path]
    return sorted(dirs)
