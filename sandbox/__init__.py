"""The sandbox: running untrusted student Python in bubblewrap, for grading and the playground.

A plain package (no models, no Django app): it needs only the standard library and, when Django
is configured, its SANDBOX_* settings, so every app that runs student code can use it. Import
from here; the modules are:

- `isolation`: the bubblewrap command, the per-run uid, the limits, run directories and cleanup;
- `seccomp`: the system-call filter every sandboxed process runs under;
- `cgroups`: the per-run control group capping a whole run's memory and process count;
- `mounts`: the little of the host's /usr a sandbox sees;
- `selftest`: the start-up check that the sandbox isolates, before any student code runs;
- `discovery`: the tests of a test file, found without running it;
- `runner_tests` with `harness_tests.py` inside the sandbox: graded runs of a test file;
- `runner_programs` with `harness_programs.py` inside the sandbox: the playground's streamed,
  interactive program runs.
"""

from sandbox.discovery import TestFileError, test_names
from sandbox.isolation import SANDBOX_ENV, Limits, SandboxError, Verdict
from sandbox.runner_programs import ProgramResult, ProgramRun, run_program
from sandbox.runner_tests import SandboxResult, TestOutcome, run_tests, sandbox_problem

__all__ = [
    "SANDBOX_ENV",
    "Limits",
    "ProgramResult",
    "ProgramRun",
    "SandboxError",
    "SandboxResult",
    "TestFileError",
    "TestOutcome",
    "Verdict",
    "run_program",
    "run_tests",
    "sandbox_problem",
    "test_names",
]
