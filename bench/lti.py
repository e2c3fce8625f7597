"""LTI 1.3: launch time and grade-passback latency against an lti1p3platform LMS.

    .venv/bin/python bench/lti.py [--launches 30] [--grades 20]

The LMS is the test suite's (tests/lti/platform.py: lti1p3platform, its services over HTTP on
a thread). On a private database under var/bench-lti:

1. launch: OIDC login initiation + signed id_token validation + account linking, through
   Django's test client (in-process), one learner after another; p50/p95 in ms;
2. passback: a teacher's review of a submission -> `submission_scored` -> on commit, a Celery
   task through the embedded broker -> a real prefork worker (1 process) -> OAuth2 token + AGS
   score POST to the LMS; latency from the review to the LMS receiving the score.

Prints JSON. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "var" / "bench-lti"
sys.path.insert(0, str(ROOT))


def _private_env() -> dict[str, str]:
    return {
        "DJANGO_SETTINGS_MODULE": "llmasos.settings",
        "DATABASE_URL": f"sqlite:///{WORK / 'db.sqlite3'}",
        "CELERY_BROKER_URL": f"sqla+sqlite:///{WORK / 'broker.sqlite3'}",
        "CHANNEL_OUTBOX_DIR": str(WORK / "outbox"),
        "GRADING_FEEDBACK": "false",
        "REDIS_URL": "",
    }


def _django() -> None:
    WORK.mkdir(parents=True, exist_ok=True)
    for name in ("db.sqlite3", "broker.sqlite3"):
        (WORK / name).unlink(missing_ok=True)
    os.environ.update(_private_env())
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _pct(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return round(ordered[int(share * (len(ordered) - 1))], 1)


def _setup() -> tuple[Any, Any, Any]:
    from django.test import Client
    from lti_tool.models import Key, LtiDeployment, LtiRegistration

    from accounts.models import Role, User
    from courses import services as course_services
    from grading.services import assignment_create
    from tests.lti import platform
    from tests.lti.platform import CLIENT_ID, DEPLOYMENT_ID, Lms

    private, public = platform.rsa_pem_pair()
    lms = Lms(private_key=private, public_key=public)
    platform.start(lms)
    Key.objects.generate()
    client = Client()
    lms.registration.set_iss(lms.issuer).set_client_id(CLIENT_ID).set_deployment_id(
        DEPLOYMENT_ID
    ).set_launch_url("http://testserver/lti/launch/").set_platform_public_key(
        public
    ).set_platform_private_key(private)
    lms.registration.set_tool_key_set(client.get("/lti/jwks/").json())
    registration = LtiRegistration.objects.create(
        name="Bench LMS",
        issuer=lms.issuer,
        client_id=CLIENT_ID,
        auth_url=f"{lms.issuer}/auth",
        token_url=f"{lms.issuer}/token",
        keyset_url=f"{lms.issuer}/jwks",
    )
    LtiDeployment.objects.create(
        registration=registration, deployment_id=DEPLOYMENT_ID, is_active=True
    )
    teacher = User.objects.create_user("bench-teacher", role=Role.TEACHER)
    course = course_services.course_create(
        author=teacher, title="Bench", slug="bench", summary="LTI bench."
    )
    module = course_services.module_create(course=course, title="M")
    course_services.lesson_create(module=module, title="L", slug="l", body="Lesson.")
    course_services.course_set_published(course=course, published=True)
    assignment = assignment_create(
        course=course,
        created_by=teacher,
        title="Essay",
        kind="text",
        instructions="Write.",
        reference_answer="An answer.",
        rubric=[{"criterion": "Answers", "points": 10}],
        max_attempts=0,
    )
    return lms, assignment, teacher


def _launch(lms: Any, custom: dict[str, str], user_id: str) -> tuple[float, int]:
    from django.test import Client

    from tests.lti.conftest import oidc_login, platform_launch, post_launch
    from tests.lti.platform import LEARNER

    client = Client()
    started = time.perf_counter()
    preflight = oidc_login(client, lms, user_id=user_id)
    data = platform_launch(
        lms, preflight, user_id=user_id, roles=[LEARNER], custom=custom, lineitem="1"
    )
    response = post_launch(client, data)
    return (time.perf_counter() - started) * 1000, response.status_code


def measure_launches(lms: Any, assignment: Any, launches: int) -> tuple[dict, list[str]]:
    from lti_tool.models import LtiDeployment

    from lti.launch import PLACEMENT_PARAM, placement_token
    from lti.models import Target

    token = placement_token(
        deployment=LtiDeployment.objects.get(),
        context_id="course-42",
        target=Target.ASSIGNMENT,
        pk=assignment.pk,
    )
    custom = {PLACEMENT_PARAM: token}
    _launch(lms, custom, "warm-up")
    times, users = [], []
    for index in range(launches):
        elapsed, status = _launch(lms, custom, f"learner-{index}")
        if status != 200:
            raise SystemExit(f"launch answered {status}")
        times.append(elapsed)
        users.append(f"learner-{index}")
    return {
        "launches": launches,
        "launch_p50_ms": round(statistics.median(times), 1),
        "launch_p95_ms": _pct(times, 0.95),
    }, users


def measure_passback(lms: Any, assignment: Any, teacher: Any, users: list[str]) -> dict:
    from lti_tool.models import LtiUser

    from grading.models import Status, Submission
    from grading.services import submission_review

    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "llmasos",
            "worker",
            "--pool=prefork",
            "--concurrency=1",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-l",
            "WARNING",
        ],
        cwd=ROOT,
        env={**os.environ, **_private_env()},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    latencies = []
    try:
        for index, sub in enumerate(["warm-up", *users]):
            student = LtiUser.objects.get(sub=sub).auth_user
            submission = Submission.objects.create(
                assignment=assignment,
                student=student,
                attempt=1,
                text="x",
                status=Status.GRADED,
                auto_score=Decimal(5),
                score=Decimal(5),
            )
            before = len(lms.scores)
            started = time.perf_counter()
            submission_review(
                submission=submission, reviewer=teacher, score=Decimal(index % 10), comment=""
            )
            deadline = started + (120 if index == 0 else 30)  # the first includes start-up
            while len(lms.scores) == before:
                if time.perf_counter() > deadline:
                    raise SystemExit(f"no score reached the LMS for {sub}")
                time.sleep(0.01)
            if index:
                latencies.append((time.perf_counter() - started) * 1000)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    return {
        "grades": len(latencies),
        "review_to_lms_p50_ms": round(statistics.median(latencies), 1),
        "review_to_lms_p95_ms": _pct(latencies, 0.95),
        "review_to_lms_max_ms": round(max(latencies), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--launches", type=int, default=30)
    parser.add_argument("--grades", type=int, default=20)
    args = parser.parse_args()
    _django()
    lms, assignment, teacher = _setup()
    report: dict[str, object] = {"cpus": os.cpu_count()}
    launches, users = measure_launches(lms, assignment, max(args.launches, args.grades))
    report.update(launches)
    report.update(measure_passback(lms, assignment, teacher, users[: args.grades]))
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
