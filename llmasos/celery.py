from __future__ import annotations

import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "llmasos.settings")

app = Celery("llmasos")
# All Celery settings live in Django settings under the CELERY_ prefix (see llmasos/settings.py).
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def _poll_the_embedded_broker_often() -> None:
    """Kombu polls its SQLAlchemy transport once a second; with late acks and prefetch 1 that
    caps a worker near two tasks a second (bench/grading.py measured 1.8 graded submissions/s).
    A local SQLite poll every 0.1 s costs nothing measurable. It is set on the class because
    this transport hands every transport option to SQLAlchemy's create_engine, which refuses
    `polling_interval`."""
    from django.conf import settings
    from kombu.transport import sqlalchemy

    sqlalchemy.Transport.polling_interval = settings.CELERY_BROKER_POLLING_INTERVAL


if str(app.conf.broker_url).startswith("sqla+"):
    _poll_the_embedded_broker_often()


@signals.celeryd_after_setup.connect
def _refuse_jobs_without_an_isolating_sandbox(sender: str, instance: object, **_: object) -> None:
    """Before the worker consumes anything: no grading or playground job may run in a sandbox
    that does not isolate (network reachable, host files visible, limits not applied). Every
    queue shares the same workers, so a failing worker consumes nothing and says why; it stays
    up, visibly idle, rather than restarting in a loop."""
    import logging

    from sandbox import SandboxError
    from sandbox.selftest import ensure_isolated

    try:
        ensure_isolated()  # logs the problems at CRITICAL itself
    except SandboxError as error:
        queues = app.amqp.queues
        for name in list(queues.consume_from or queues):
            queues.deselect(name)
        logging.getLogger("llmasos.celery").critical(
            "Worker %s REFUSES TO CONSUME JOBS: %s Fix the sandbox and restart the worker.",
            sender,
            error,
        )
