"""Demo concept graphs (courses/demo_content/<course>/concepts.json, the import format) and a
few weeks of practice history for the demo student, so "My path" has something to show:
some concepts mastered, one review due today, one concept in progress.

Loading is idempotent: the graph is merged by slug, and the history is written only when the
demo student has no evidence in the course yet.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from courses.demo import DEMO_CONTENT_DIR
from courses.models import Course, Enrollment
from learning.models import Observation, PracticeQuestion
from learning.services import concepts_import, practice_answer_submit

# (days ago, concept, question number, right?) in time order; questions alternate so that the
# repeat cool-down never discards an answer.
DEMO_HISTORY = {
    "python-basics": [
        (21, "printing", 0, True),
        (21, "printing", 1, True),
        (20, "printing", 0, True),
        (19, "variables", 0, True),
        (19, "variables", 1, False),
        (18, "variables", 1, True),
        (18, "variables", 0, True),
        (17, "variables", 1, True),
        (16, "printing", 1, True),  # a review
        (12, "numbers", 0, True),
        (12, "numbers", 1, True),
        (11, "numbers", 0, True),
        (4, "type-conversion", 0, True),
        (4, "type-conversion", 1, True),
        (3, "type-conversion", 0, True),  # mastered 3 days ago: its first review is due today
        (2, "strings", 0, False),
        (2, "strings", 1, True),
    ],
}


def demo_concepts_load(*, course: Course) -> int:
    path = DEMO_CONTENT_DIR / course.slug / "concepts.json"
    if not path.exists():
        return 0
    concepts_import(course, json.loads(Path(path).read_text(encoding="utf-8")))
    return course.concepts.count()


@transaction.atomic
def demo_history_load(*, course: Course, username: str = "student") -> int:
    student = User.objects.filter(username=username).first()
    history = DEMO_HISTORY.get(course.slug)
    if (
        not history
        or student is None
        or not Enrollment.objects.filter(user=student, course=course).exists()
        or Observation.objects.filter(student=student, concept__course=course).exists()
    ):
        return 0
    now = timezone.now()
    written = 0
    for index, (days_ago, slug, number, right) in enumerate(history):
        questions = list(
            PracticeQuestion.objects.approved().filter(concept__course=course, concept__slug=slug)
        )
        if not questions:
            continue
        question = questions[number % len(questions)]
        response = _answer(question, right)
        at = now - timedelta(days=days_ago, hours=12) + timedelta(minutes=20 * index)
        practice_answer_submit(question=question, student=student, response=response, at=at)
        written += 1
    return written


def _answer(question: PracticeQuestion, right: bool) -> str:
    if question.kind == "choice":
        index = question.answer_index or 0
        return str(index if right else (index + 1) % len(question.choices))
    return question.accepted_answers[0] if right else "I am not sure"
