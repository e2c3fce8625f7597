"""Demo concept graphs (courses/demo_content/<course>/concepts.json, the import format), a few
weeks of practice history for the demo student, so "My path" has something to show (some
concepts mastered, one review due, one concept in progress), and a class of ten classmates, so the
teacher's class view has a heatmap, a stuck student and hard concepts to show.

Loading is idempotent: the graph is merged by slug, and a student's history is written only when
that student has no evidence in the course yet.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import Role, User
from courses.demo import DEMO_CONTENT_DIR
from courses.models import Course, Enrollment
from courses.services import enrollment_create
from learning import bkt
from learning.graph import topological_order
from learning.models import Observation, PracticeAnswer, PracticeQuestion, ReviewCard
from learning.services.concepts import concepts_import, course_requires
from learning.services.mastery import mastery_recompute
from learning.services.practice import practice_answer_submit, practice_evidence

# (days ago, concept, question number, right?) in time order; questions alternate so that the
# repeat cool-down never discards an answer. Reviews of mastered concepts are answered on time
# on top of this (see _reviews_on_time), except the last concept's, which is left due.
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
        (12, "numbers", 0, True),
        (12, "numbers", 1, True),
        (11, "numbers", 0, True),
        (2, "type-conversion", 0, True),
        (2, "type-conversion", 1, True),
        (2, "type-conversion", 0, True),  # mastered two days ago: its first review is due
        (1, "strings", 0, False),
        (1, "strings", 1, True),
    ],
}
REVIEW_LEFT_DUE = {"python-basics": "type-conversion"}

# The demo student's classmates: (username, first name, last name, chance of a right answer,
# the concept they get stuck on or ""). They have no password: nobody signs in as them. The
# usernames start with "demo-" and a user of that name who is not a demo account (another email)
# is left alone, so loading the demo into a live site never writes history for a real student.
DEMO_CLASSMATES = {
    "python-basics": [
        ("demo-noor", "Noor", "Haddad", 0.95, ""),
        ("demo-leo", "Leo", "Martin", 0.9, ""),
        ("demo-mia", "Mia", "Chen", 0.88, ""),
        ("demo-omar", "Omar", "Diallo", 0.85, ""),
        ("demo-sofia", "Sofia", "Rossi", 0.8, ""),
        ("demo-jonas", "Jonas", "Berg", 0.78, "comparisons"),
        ("demo-priya", "Priya", "Nair", 0.75, ""),
        ("demo-tom", "Tom", "Okafor", 0.7, "f-strings"),
        ("demo-lena", "Lena", "Novak", 0.65, ""),
        ("demo-ravi", "Ravi", "Shah", 0.6, "slicing"),
    ],
}
CLASSMATE_DAYS = 24  # their practice spreads over the last 24 days
MAX_ANSWERS_PER_CONCEPT = 15  # a classmate keeps practising until mastered…
ANSWERS_BEFORE_GIVING_UP = 7  # …except on the concept they are stuck on


def demo_concepts_load(*, course: Course) -> int:
    path = DEMO_CONTENT_DIR / course.slug / "concepts.json"
    if not path.exists():
        return 0
    concepts_import(course=course, data=json.loads(Path(path).read_text(encoding="utf-8")))
    return course.concepts.count()


@transaction.atomic
def demo_history_load(*, course: Course, username: str = "student") -> int:
    student = User.objects.filter(username=username).first()
    history = DEMO_HISTORY.get(course.slug)
    if not history or student is None or not _is_new_in(student, course):
        return 0
    now = timezone.now()
    questions = _approved_questions(course)
    left_due = REVIEW_LEFT_DUE.get(course.slug, "")
    written = 0
    for index, (days_ago, slug, number, right) in enumerate(history):
        at = now - timedelta(days=days_ago, hours=12) + timedelta(minutes=20 * index)
        written += _reviews_on_time(course, questions, student, until=at, except_concept=left_due)
        question = _pick(questions, slug, number)
        if question is None:
            continue
        practice_answer_submit(
            question=question, student=student, response=_answer(question, right), at=at
        )
        written += 1
    return written + _reviews_on_time(
        course, questions, student, until=now, except_concept=left_due
    )


@transaction.atomic
def demo_classmates_load(*, course: Course) -> int:
    """Enroll the demo classmates and write their practice; returns how many answers."""
    classmates = DEMO_CLASSMATES.get(course.slug, [])
    if not classmates:
        return 0
    order = topological_order(
        course_requires(course=course), list(course.concepts.values_list("slug", flat=True))
    )
    questions = _approved_questions(course)
    written = 0
    for username, first_name, last_name, skill, stuck_on in classmates:
        email = f"{username}@demo.llmasos.invalid"
        student, created = User.objects.get_or_create(
            username=username,
            defaults={
                "role": Role.STUDENT,
                "first_name": first_name,
                "last_name": last_name,
                "email": email,
            },
        )
        if student.email != email:
            continue
        if created:
            student.set_unusable_password()
            student.save(update_fields=["password"])
        enrollment_create(user=student, course=course)  # harmless when already enrolled
        if _is_new_in(student, course):
            written += _classmate_practice(course, student, order, questions, skill, stuck_on)
    return written


def _classmate_practice(
    course: Course,
    student: User,
    order: list[str],
    questions: dict[str, list[PracticeQuestion]],
    skill: float,
    stuck_on: str,
) -> int:
    """Work through the concepts in prerequisite order, each until mastered or given up on;
    better students get further. Seeded by username, so every load writes the same history.

    Written in bulk, then replayed once per concept with mastery_recompute (which also opens
    the review card of a mastered concept): the demo loads in a fraction of the time that
    answering one by one takes, with the same evidence.
    """
    rng = random.Random(student.username)  # noqa: S311 - a reproducible demo, not a secret
    now = timezone.now()
    at = now - timedelta(days=CLASSMATE_DAYS, hours=rng.randint(0, 12))
    reach = max(3, round(len(order) * (skill - 0.4)))
    concepts = {c.slug: c for c in course.concepts.all()}
    written = 0
    for slug in order[:reach]:
        concept = concepts[slug]
        stuck = slug == stuck_on
        chance = 0.25 if stuck else skill
        p_known, answers = concept.params.prior, []
        for number in range(ANSWERS_BEFORE_GIVING_UP if stuck else MAX_ANSWERS_PER_CONCEPT):
            question = _pick(questions, slug, number)
            if question is None or at >= now:
                break
            right = rng.random() < chance
            answers.append(
                PracticeAnswer(
                    question=question,
                    student=student,
                    response=_answer(question, right),
                    correct=right,
                    created_at=at,
                )
            )
            at += timedelta(minutes=rng.randint(15, 40))
            p_known = bkt.update(p_known, right, concept.params)
            if p_known >= settings.LEARNING_MASTERY_THRESHOLD:
                break
        if not answers:
            break
        answers = PracticeAnswer.objects.bulk_create(answers)
        Observation.objects.bulk_create(practice_evidence(answer=answer) for answer in answers)
        mastery_recompute(student_id=student.pk, concept=concept)
        written += len(answers)
        if stuck and p_known < settings.LEARNING_MASTERY_THRESHOLD:
            break  # still stuck: the class view lists them
        at += timedelta(hours=rng.randint(10, 40))
    return written


def _reviews_on_time(
    course: Course,
    questions: dict[str, list[PracticeQuestion]],
    student: User,
    *,
    until: datetime,
    except_concept: str,
) -> int:
    """Answer right, at its due time, every review that fell due before `until`."""
    answered = 0
    for card in _due_cards(course, student, until=until, except_concept=except_concept):
        question = _pick(questions, card.concept.slug, card.reviews + 1)
        if question is None:
            break
        practice_answer_submit(
            question=question, student=student, response=_answer(question, True), at=card.due
        )
        answered += 1
    return answered


def _due_cards(
    course: Course, student: User, *, until: datetime, except_concept: str
) -> Iterator[ReviewCard]:
    for _ in range(200):  # each review pushes its card further out; this bound is never reached
        card = (
            ReviewCard.objects.filter(student=student, concept__course=course, due__lt=until)
            .exclude(concept__slug=except_concept)
            .select_related("concept")
            .order_by("due")
            .first()
        )
        if card is None:
            return
        yield card


def _is_new_in(student: User, course: Course) -> bool:
    return (
        Enrollment.objects.filter(user=student, course=course).exists()
        and not Observation.objects.filter(student=student, concept__course=course).exists()
    )


def _approved_questions(course: Course) -> dict[str, list[PracticeQuestion]]:
    questions: dict[str, list[PracticeQuestion]] = {}
    for question in (
        PracticeQuestion.objects.approved()
        .filter(concept__course=course)
        .select_related("concept")
        .order_by("pk")
    ):
        questions.setdefault(question.concept.slug, []).append(question)
    return questions


def _pick(
    questions: dict[str, list[PracticeQuestion]], slug: str, number: int
) -> PracticeQuestion | None:
    """The concept's questions in turn, so that the repeat cool-down never discards an answer."""
    choices = questions.get(slug)
    return choices[number % len(choices)] if choices else None


def _answer(question: PracticeQuestion, right: bool) -> str:
    if question.kind == "choice":
        index = question.answer_index or 0
        return str(index if right else (index + 1) % len(question.choices))
    return question.accepted_answers[0] if right else "I am not sure"
