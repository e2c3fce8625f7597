"""The usage log is kept AI_USAGE_RETENTION_DAYS; the daily task deletes older rows."""

from __future__ import annotations

import pytest
import time_machine
from django.conf import settings as django_settings

from assist.models import UsageRecord
from assist.tasks import usage_purge

pytestmark = pytest.mark.django_db


def _row(student):
    return UsageRecord.objects.create(
        user=student, feature="tutor_explain", decision="explain", outcome="answered"
    )


def test_the_daily_task_deletes_rows_past_the_retention(student, settings):
    settings.AI_USAGE_RETENTION_DAYS = 30
    with time_machine.travel("2026-10-01 12:00Z", tick=False):
        _row(student)
    with time_machine.travel("2026-10-25 12:00Z", tick=False):
        kept = _row(student)
    with time_machine.travel("2026-11-15 12:00Z", tick=False):
        assert usage_purge.delay().get() == 1
    assert list(UsageRecord.objects.all()) == [kept]


def test_zero_keeps_everything(student, settings):
    settings.AI_USAGE_RETENTION_DAYS = 0
    with time_machine.travel("2020-01-01 12:00Z", tick=False):
        _row(student)
    assert usage_purge() == 0 and UsageRecord.objects.count() == 1


def test_the_purge_is_on_the_beat_schedule():
    entry = django_settings.CELERY_BEAT_SCHEDULE["assist-usage-purge"]
    assert entry["task"] == "assist.tasks.usage_purge"
