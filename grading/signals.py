"""Signals other apps listen to, so grading does not need to know about them."""

from django.dispatch import Signal

# Sent with `submission=` when a submission gets its score: graded by the worker (again after a
# regrade) or reviewed by a teacher. The learning app turns it into mastery evidence.
submission_scored = Signal()
