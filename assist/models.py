"""Question budgets: what a student may still ask the model (see assist.budget)."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class QuestionBudget(models.Model):
    """A student's tutor questions: a bucket that refills one question at a time.

    `available` is stored with the time it was computed; the current value is derived on read
    (see assist.budget.budget_state), so nothing has to tick in the background.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="question_budget"
    )
    available = models.FloatField()
    checked_at = models.DateTimeField()
    # Set by an admin to give one student a different budget; empty = the platform default.
    capacity = models.PositiveIntegerField(null=True, blank=True)
    refill_seconds = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        # The table the tutor app created: the model moved here, its rows did not have to.
        db_table = "tutor_questionbudget"

    def __str__(self) -> str:
        return f"Question budget of {self.user}"
