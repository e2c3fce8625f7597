"""The production topology as processes, and a student's journey through it.

`llmasos.settings_production` (a generated SECRET_KEY), a private PostgreSQL database, Redis for
cache, channel layer and broker, the inference service (`serve_inference`), a Celery worker, a
separate beat and two uvicorn processes. Plain HTTP on loopback, so SECURE_SSL_REDIRECT=0 (the
production cookies stay Secure: the client below sends them itself, as a TLS proxy's client would).

The journey crosses every process: sign in on one web process, open and enroll in a course on
the other (sessions in PostgreSQL), get an API token, ask the ask API (answered by the inference
service), submit code and see the verdict arrive (graded by the worker in the sandbox).

Needs PostgreSQL and Redis: it runs in the PostgreSQL+Redis configuration of scripts/test.sh.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

from tests.conftest import ROOT, free_port, require_sandbox, wait_for_port

DATABASE_URL = os.environ.get("DATABASE_URL", "")
REDIS_URL = os.environ.get("REDIS_URL", "")

pytestmark = [
    pytest.mark.services,
    pytest.mark.skipif(
        not (DATABASE_URL.startswith("postgres") and REDIS_URL),
        reason="the production topology needs PostgreSQL and Redis (DATABASE_URL, REDIS_URL)",
    ),
]

PASSWORD = "smoke-test-password-4711"
SOLUTION = "def add(a, b):\n    return a + b\n"
TESTS = (
    "import unittest\nfrom solution import add\n\n\nclass TestAdd(unittest.TestCase):\n"
    "    def test_small(self):\n        self.assertEqual(add(2, 3), 5)\n"
)
LESSON = (
    "## Lists\nA list is an ordered, mutable sequence of values written in square brackets. "
    "Append adds a value at the end of a list; len gives the number of values in a list.\n"
)
# Run by `manage.py shell` under the production settings: two users, a published course with
# one lesson (indexed by the worker), a code assignment. The demo would queue dozens of lessons
# for indexing ahead of the submission.
SEED = f"""
from decimal import Decimal
from accounts.models import Role, User
from courses import services
from grading import services as grading
from grading.models import Kind
teacher = User.objects.create_user("tara", password={PASSWORD!r}, role=Role.TEACHER)
User.objects.create_user("sam", password={PASSWORD!r}, role=Role.STUDENT, first_name="Sam")
course = services.course_create(author=teacher, title="Smoke", slug="smoke", summary="Lists.")
module = services.module_create(course=course, title="Basics")
services.lesson_create(module=module, title="Lists", slug="lists", body={LESSON!r})
services.course_set_published(course=course, published=True)
grading.assignment_create(
    course=course, created_by=teacher, title="Add", kind=Kind.CODE, instructions="add(a, b)",
    max_score=Decimal(10), starter_code="def add(a, b):\\n    pass\\n", test_code={TESTS!r},
    reference_solution={SOLUTION!r}, test_names=["TestAdd.test_small"])
"""


def _with_path(url: str, path: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


@pytest.fixture
def private_database() -> Iterator[str]:
    """A database of its own on the suite's PostgreSQL server, dropped afterwards."""
    import psycopg

    name = f"llmasos_smoke_{secrets.token_hex(4)}"
    server = _with_path(DATABASE_URL, "/postgres")
    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _with_path(DATABASE_URL, f"/{name}")
    finally:
        with psycopg.connect(server, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Topology:
    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env, self.logs = env, logs
        self.processes: list[tuple[str, subprocess.Popen]] = []

    def manage(self, *args: str) -> None:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=240,
        )
        assert result.returncode == 0, f"manage.py {args}: {result.stdout}{result.stderr}"

    def start(self, name: str, *command: str) -> subprocess.Popen:
        process = subprocess.Popen(
            [sys.executable, *command],
            cwd=ROOT,
            env=self.env,
            stdout=(self.logs / f"{name}.log").open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a group of its own: the worker's pool goes with it
        )
        self.processes.append((name, process))
        return process

    def stop(self) -> None:
        for _name, process in self.processes:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        for _name, process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def log_tails(self) -> str:
        return "\n".join(
            f"--- {name} ---\n{(self.logs / f'{name}.log').read_text(errors='replace')[-1500:]}"
            for name, _process in self.processes
        )


@pytest.fixture
def topology(private_database, tmp_path) -> Iterator[tuple[str, str, Path]]:
    """Starts everything; yields the base URLs of the two web processes and the logs."""
    from django.conf import settings

    redis = urlsplit(REDIS_URL)
    inference_port, web_ports = free_port(), (free_port(), free_port())
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "llmasos.settings_production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "DATABASE_URL": private_database,
        # Redis databases of their own: the suite's workers never see these tasks.
        "REDIS_URL": urlunsplit((redis.scheme, redis.netloc, "/12", "", "")),
        "CELERY_BROKER_URL": urlunsplit((redis.scheme, redis.netloc, "/13", "", "")),
        "LLMASOS_VAR_DIR": str(tmp_path / "var"),
        # The dequantised model prepared once for the suite (prepare_models takes ~25 s).
        "MODEL_CACHE_DIR": str(settings.MODEL_CACHE_DIR),
        "LLM_BACKEND": "openai",
        "LLM_BASE_URL": f"http://127.0.0.1:{inference_port}/v1",
        "LLM_WARM_UP": "0",
        "PYTHONUNBUFFERED": "1",
    }
    for name in ("KB_DIR", "MEDIA_ROOT", "CHANNEL_OUTBOX_DIR"):  # set by tests/conftest.py
        env.pop(name, None)
    logs = tmp_path / "logs"
    logs.mkdir()
    stack = Topology(env, logs)
    # The inference service loads its model meanwhile.
    inference = stack.start(
        "inference", "manage.py", "serve_inference", "--port", str(inference_port)
    )
    try:
        stack.manage("migrate", "--no-input", "-v0")
        stack.manage("collectstatic", "--no-input", "-v0")
        stack.manage("shell", "-c", SEED)
        stack.start("worker", "-m", "celery", "-A", "llmasos", "worker", "-l", "INFO", "-c", "2",
                    "-Q", "celery,llm")  # fmt: skip
        stack.start("beat", "-m", "celery", "-A", "llmasos", "beat", "-l", "INFO", "--schedule",
                    str(tmp_path / "var" / "celerybeat-schedule"))  # fmt: skip
        webs = [
            stack.start(
                f"web{index}",
                "-m",
                "uvicorn",
                "llmasos.asgi:application",
                "--port",
                str(port),
                "--ws",
                "websockets-sansio",
                "--lifespan",
                "off",
                "--proxy-headers",
            )
            for index, port in enumerate(web_ports)
        ]
        for port, process in zip(web_ports, webs, strict=True):
            wait_for_port(port, process, timeout=60)
        wait_for_port(inference_port, inference, timeout=120)
        yield (f"http://127.0.0.1:{web_ports[0]}", f"http://127.0.0.1:{web_ports[1]}", logs)
        for name, process in stack.processes:
            assert process.poll() is None, f"{name} died:\n{stack.log_tails()}"
    except BaseException:
        print(stack.log_tails())
        raise
    finally:
        stack.stop()


class Browser:
    """httpx with the cookies of both web processes. Production cookies are Secure, which a
    cookie jar keeps off plain HTTP; behind the TLS proxy they travel, so here they are sent
    by hand."""

    def __init__(self) -> None:
        self.client = httpx.Client(timeout=120)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, url: str, **kwargs) -> httpx.Response:
        headers = kwargs.pop("headers", {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        response = self.client.request(method, url, headers=headers, **kwargs)
        self.cookies.update({cookie.name: cookie.value or "" for cookie in response.cookies.jar})
        return response

    def post_form(self, url: str, data: dict[str, str]) -> httpx.Response:
        return self.request(
            "POST",
            url,
            data={**data, "csrfmiddlewaretoken": self.cookies["csrftoken"]},
            headers={"Referer": url},
        )


def test_a_student_journey_through_the_production_topology(topology):
    require_sandbox()
    first, second, logs = topology
    browser = Browser()

    assert browser.request("GET", f"{first}/healthz").status_code == 200
    login = f"{first}/accounts/login/"
    assert browser.request("GET", login).status_code == 200
    signed_in = browser.post_form(login, {"username": "sam", "password": PASSWORD})
    assert signed_in.status_code == 302, signed_in.text[:500]
    assert "sessionid" in browser.cookies

    # The other web process knows the session (PostgreSQL), serves the course and enrolls.
    course = browser.request("GET", f"{second}/courses/smoke/")
    assert course.status_code == 200 and "Sam" in course.text
    assert browser.post_form(f"{second}/courses/smoke/enroll/", {}).status_code == 302

    api = httpx.Client(base_url=f"{first}/api", timeout=120)
    token = api.post("/auth/token/", data={"username": "sam", "password": PASSWORD})
    api.headers["Authorization"] = f"Token {token.json()['token']}"

    # The worker indexes the lesson (embeddings from the inference service); then the model
    # answers from it through the inference service. Waiting on the worker's log, not by asking
    # again and again: each question is charged to the student's budget.
    worker_log = logs / "worker.log"
    deadline = time.monotonic() + 90
    while not re.search(r"lesson_ingest\[\S+\] succeeded", worker_log.read_text()):
        assert time.monotonic() < deadline, "the worker did not index the lesson"
        time.sleep(0.5)
    asked = api.post("/courses/smoke/ask/", json={"question": "What does append do to a list?"})
    assert asked.status_code == 200, asked.text
    answer = asked.json()
    assert answer["covered"] and answer["answer"].strip(), answer
    assert answer["usage"]["completion_tokens"] > 0 and answer["citations"], answer

    # A submission is graded by the worker in the sandbox; the verdict arrives.
    [assignment] = api.get("/courses/smoke/assignments/").json()
    submitted = api.post(f"/assignments/{assignment['id']}/submissions/", json={"code": SOLUTION})
    assert submitted.status_code == 202, submitted.text
    deadline = time.monotonic() + 60
    while True:
        submission = api.get(f"/submissions/{submitted.json()['id']}/").json()
        if submission["verdict"] or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert submission["verdict"] == "passed", submission
    assert submission["score"] == 10
