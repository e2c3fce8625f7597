"""Personas (student, other student, teacher, other teacher, admin) and shared fixtures."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import Role, User
from courses import services
from courses.models import Course

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct-horse-battery-staple"


def compile_catalogues() -> None:
    """Build each .mo that is missing or older than its .po (they are not committed), so the
    suite renders the catalogue as it is now. Written beside and renamed: atomic for a server
    process that reads it at the same moment."""
    for po in sorted(ROOT.glob("locale/*/LC_MESSAGES/*.po")):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        partial = mo.with_suffix(f".mo.{os.getpid()}")
        subprocess.run(["msgfmt", "--check", "-o", str(partial), str(po)], check=True)
        os.replace(partial, mo)


def pytest_configure(config: pytest.Config) -> None:
    compile_catalogues()
    # On the embedded defaults the broker and the channel outbox are files under var/; the suite
    # gets its own, so a `make run` left running never takes a test's tasks or messages.
    # (Settings are already loaded here, hence the environment for subprocesses *and* the
    # in-process objects.)
    from django.conf import settings

    if settings.CELERY_BROKER_URL.startswith("sqla+sqlite"):
        from llmasos.celery import app

        url = f"sqla+sqlite:///{settings.VAR_DIR / 'test-celery-broker.sqlite3'}"
        os.environ["CELERY_BROKER_URL"] = url
        app.conf.broker_url = url
    # Uploaded files and FAISS indexes of the test database live apart from the developer's.
    for name, sub_dir in (("KB_DIR", "test-kb"), ("MEDIA_ROOT", "test-media")):
        path = str(settings.VAR_DIR / sub_dir)
        os.environ[name] = path
        setattr(settings, name, path)
    layer: dict[str, Any] = settings.CHANNEL_LAYERS["default"]
    if "outbox_dir" in layer.get("CONFIG", {}):
        outbox = str(settings.VAR_DIR / "test-channel-outbox")
        os.environ["CHANNEL_OUTBOX_DIR"] = outbox
        layer["CONFIG"]["outbox_dir"] = outbox


@pytest.fixture(autouse=True)
def _fresh_channel_layers() -> Iterator[None]:
    # Layers are cached per process, but each async test runs on its own event loop.
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    # Throttle counters, busy locks and run slots live in the cache: one test's must not
    # meter the next.
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def clock_at(monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    """Stops the per-minute rate counters' clock (core.ratelimit) at `seconds`."""
    import types

    from core import ratelimit

    monkeypatch.setattr(ratelimit, "time", types.SimpleNamespace(time=lambda: seconds))


@pytest.fixture
def one_clock_minute(monkeypatch: pytest.MonkeyPatch) -> float:
    """Pins the per-minute rate counters' clock 10 s into a minute.

    The counters reset when the clock minute turns; a test that makes its calls across that
    turn would see its count start again and fail about one run in thirty.
    """
    pinned = (time.time() // 60) * 60 + 10
    clock_at(monkeypatch, pinned)
    return pinned


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    # LocaleMiddleware activates a request's language in the thread and leaves it there (the
    # next request activates its own); a test that ends on a Chinese page must not leave the
    # next test's lazy strings in Chinese.
    from django.utils import translation

    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _no_background_warm_up(settings) -> None:
    # A warm-up thread could outlive its test and its database; test_tutor_socket.py runs it.
    settings.LLM_WARM_UP = False


@pytest.fixture(autouse=True)
def _eager_celery(settings) -> Iterator[None]:
    """Tasks run inline unless a test starts a real worker (see `celery_worker_process`)."""
    from llmasos.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def require_sandbox() -> None:
    """Grading and the playground need bubblewrap: CI must have it (the Makefile installs it);
    elsewhere a machine without it skips those tests."""
    from sandbox import sandbox_problem

    problem = sandbox_problem()
    if problem is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"The sandbox must work in CI: {problem}")
        pytest.skip(problem)


def _user(username: str, role: str, **extra: object) -> User:
    return User.objects.create_user(
        username=username, password=PASSWORD, role=role, email=f"{username}@example.org", **extra
    )


@pytest.fixture
def student(db) -> User:
    return _user("alice", Role.STUDENT, first_name="Alice")


@pytest.fixture
def other_student(db) -> User:
    return _user("bob", Role.STUDENT)


@pytest.fixture
def teacher(db) -> User:
    return _user("tara", Role.TEACHER, first_name="Tara")


@pytest.fixture
def other_teacher(db) -> User:
    return _user("otto", Role.TEACHER)


@pytest.fixture
def admin_user(db) -> User:
    return User.objects.create_superuser("root", "root@example.org", PASSWORD)


@pytest.fixture
def course(teacher: User) -> Course:
    """A published course of the teacher's with two modules and three lessons."""
    course = services.course_create(
        author=teacher,
        title="Attention basics",
        slug="attention",
        summary="Queries, keys and values.",
        description="Intro.",
    )
    first = services.module_create(course=course, title="Foundations")
    second = services.module_create(course=course, title="Going further")
    services.lesson_create(
        module=first,
        title="Queries and keys",
        slug="queries",
        body="## Dot products\nA query meets a key.",
    )
    services.lesson_create(module=first, title="Values", slug="values", body="Values are mixed.")
    services.lesson_create(
        module=second, title="Multi-head", slug="multi-head", body="Several heads look at once."
    )
    return services.course_set_published(course=course, published=True)


@pytest.fixture
def draft_course(teacher: User) -> Course:
    course = services.course_create(
        author=teacher, title="Unreleased", slug="unreleased", summary="Not yet."
    )
    module = services.module_create(course=course, title="Draft module")
    services.lesson_create(module=module, title="Secret lesson", slug="secret", body="Draft.")
    return course


@pytest.fixture
def enrolled_student(student: User, course: Course) -> User:
    services.enrollment_create(user=student, course=course)
    return student


@pytest.fixture
def kb_dirs(settings, tmp_path):
    """A private knowledge base (FAISS files, uploads) for one test."""
    settings.KB_DIR = str(tmp_path / "kb")
    settings.MEDIA_ROOT = str(tmp_path / "media")
    from knowledge.index import forget_loaded_indexes

    forget_loaded_indexes()
    yield
    forget_loaded_indexes()


@pytest.fixture(scope="module")
def demo_once(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: Any
) -> Iterator[str]:
    """`load_demo` run once for a module, in a transaction rolled back when the module ends; its
    output. (~6 s on PostgreSQL: once per module instead of once per test.)

    Each test runs in a savepoint inside that transaction (pytest-django's `db`), so what one
    test changes is gone before the next. Every later test of the module sees the demo, asked
    for or not: a test that needs an empty database goes in a module without this fixture. The
    uploads go to a temporary knowledge base; ingestion is queued on commit, never reached here.
    """
    import io

    from django.core.management import call_command
    from django.db import transaction
    from django.test import override_settings

    from knowledge.index import forget_loaded_indexes

    base = tmp_path_factory.mktemp("demo")
    kb = {"KB_DIR": str(base / "kb"), "MEDIA_ROOT": str(base / "media")}
    with django_db_blocker.unblock(), override_settings(DEBUG=True, **kb):
        forget_loaded_indexes()
        with transaction.atomic():
            out = io.StringIO()
            call_command("load_demo", stdout=out)
            yield out.getvalue()
            transaction.set_rollback(True)
        forget_loaded_indexes()


@pytest.fixture
def scripted():
    """The named model double (tests/inference/doubles.py) as the generation backend."""
    from inference import backends
    from tests.inference.doubles import ScriptedBackend

    double = ScriptedBackend()
    backends._backend = double
    yield double
    backends.reset_backend()


def api_client_for(user: User | None) -> APIClient:
    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


# --- Real processes (worker, ASGI server) that share the test database -------------------------


def live_database_url() -> str:
    """DATABASE_URL of the test database, for subprocesses started by a test."""
    params = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{params['NAME']}"
    user = params.get("USER") or "postgres"
    host = params.get("HOST") or "127.0.0.1"
    port = params.get("PORT") or 5432
    return f"postgres://{user}@{host}:{port}/{params['NAME']}"


def subprocess_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": live_database_url(),
            "DJANGO_SETTINGS_MODULE": "llmasos.settings",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra)
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LoggedProcess(subprocess.Popen):
    """A server or worker whose output goes to a temporary file, read back at the end.

    Not a pipe: nothing reads a pipe while a test runs, and once its 64 KiB buffer is full
    the child blocks on its next log line (a worker stops taking tasks, a server stops
    answering), which looks like a slow test on a busy machine."""

    def __init__(self, command: list[str], **options: Any) -> None:
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 (closed by output())
        super().__init__(command, stdout=self.log, stderr=subprocess.STDOUT, **options)

    def output(self, tail: int = 3000) -> str:
        """The last `tail` characters the process printed so far."""
        self.log.flush()
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-tail:]

    def stop(self, timeout: float = 20) -> str:
        """Terminate (kill after `timeout` s), close the log; what it printed last."""
        self.terminate()
        try:
            self.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            self.wait()
        text = self.output()
        self.log.close()
        return text


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            printed = process.output() if isinstance(process, LoggedProcess) else ""
            raise RuntimeError(f"server exited early with {process.returncode}: {printed}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"nothing listening on {port} after {timeout}s")


@pytest.fixture
def asgi_server(transactional_db) -> Iterator[str]:
    """The real ASGI app under uvicorn, on the test database. Yields its base URL."""
    port = free_port()
    process = LoggedProcess(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "llmasos.asgi:application",
            "--port",
            str(port),
            "--ws",
            "websockets-sansio",
            "--lifespan",
            "off",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=subprocess_env(),
    )
    try:
        wait_for_port(port, process)
        yield f"http://127.0.0.1:{port}"
    finally:
        # Shown by pytest when the test fails: the server's tracebacks and warnings. A graceful
        # shutdown waits for the browser's websockets and the model threads (10 s per test on
        # the Redis layer); no test here is about it (test_run_script is), so 3 s, then KILL.
        print(process.stop(timeout=3))


@contextlib.contextmanager
def celery_worker(*options: str, **env: str) -> Iterator[LoggedProcess]:
    """A real Celery worker on the test database and the test broker; `options` choose the pool
    (e.g. "--pool=solo"), `env` adds settings. Its log is printed at the end (pytest shows it
    when the test fails)."""
    from django.conf import settings

    from llmasos.celery import app as celery_app

    celery_app.conf.task_always_eager = False
    # Leftovers of an interrupted run must not run against this database; a new broker may
    # have nothing to purge and say so with an error.
    with contextlib.suppress(Exception):
        celery_app.control.purge()
    process = LoggedProcess(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "llmasos",
            "worker",
            # Both queues, as one worker: code grading and the model's background work (the
            # feedback on a failed submission) both reach a test that waits for them.
            "-Q",
            f"{settings.CELERY_TASK_DEFAULT_QUEUE},{settings.LLM_QUEUE}",
            *options,
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=ROOT,
        env=subprocess_env(**env),
    )
    try:
        yield process
    finally:
        print(process.stop())


@pytest.fixture
def worker_process(transactional_db) -> Iterator[subprocess.Popen]:
    """A real Celery worker (one process, solo pool) on the test database and broker."""
    with celery_worker("--pool=solo", "-l", "INFO") as process:
        yield process
