"""Moving QuestionBudget from tutor to assist keeps every budget row (state-only migrations)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from assist.models import QuestionBudget

# Transactional: migrations run outside a test transaction, as they do in production.
pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("tutor", "0001_initial"), ("assist", None)]


def _leaf_nodes() -> list[tuple[str, str]]:
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def test_an_existing_budget_row_survives_the_move(student):
    leaves = _leaf_nodes()
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    try:
        loader = MigrationExecutor(connection).loader
        old_apps = loader.project_state(("tutor", "0001_initial")).apps
        old_model = old_apps.get_model("tutor", "QuestionBudget")
        checked_at = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
        old_model.objects.create(
            user_id=student.pk,
            available=1.5,
            checked_at=checked_at,
            capacity=7,
            refill_seconds=90,
        )
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(leaves)

    budget = QuestionBudget.objects.get(user=student)
    assert (budget.available, budget.capacity, budget.refill_seconds) == (1.5, 7, 90)
    assert budget.checked_at == checked_at
    assert student.question_budget == budget


def test_the_admin_content_type_moves_with_the_model(student):
    from django.contrib.contenttypes.models import ContentType

    leaves = _leaf_nodes()
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    try:
        ContentType.objects.filter(model="questionbudget").delete()
        ContentType.objects.create(app_label="tutor", model="questionbudget")
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(leaves)
    ContentType.objects.clear_cache()
    labels = set(
        ContentType.objects.filter(model="questionbudget").values_list("app_label", flat=True)
    )
    assert labels == {"assist"}
