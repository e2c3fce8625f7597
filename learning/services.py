"""Writes for learning paths: the concept graph, practice questions and answers, and the evidence
(observations) that BKT turns into mastery and FSRS into review dates."""

from __future__ import annotations

import logging
import math
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, Max
from django.utils import timezone

from core.errors import DomainError
from courses.models import Course, Lesson
from learning import bkt, graph, scheduling
from learning.models import (
    Concept,
    Mastery,
    Observation,
    PracticeAnswer,
    PracticeQuestion,
    QuestionKind,
    QuestionStatus,
    ReviewCard,
    Source,
)

log = logging.getLogger(__name__)

EXPORT_FORMAT = "llmasos-concepts/1"
# Quotes and end punctuation around a short answer do not make it wrong.
_SURROUNDING = ".!\"'`\u201c\u201d\u2018\u2019"
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_IMPORT_CONCEPTS = 500
# Words the concept pages use in their own addresses (/concepts/export/ and so on).
RESERVED_SLUGS = frozenset({"export", "import", "fit"})


class ConceptRefused(DomainError):
    pass


class ImportRefused(DomainError):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("The concept file was not imported: " + " ".join(problems[:20]))
        self.problems = problems


# --- The concept graph --------------------------------------------------------------------------


def course_requires(course: Course) -> dict[str, set[str]]:
    """{concept slug: slugs of its prerequisites} for the whole course, in two queries."""
    requires: dict[str, set[str]] = {
        slug: set() for slug in Concept.objects.filter(course=course).values_list("slug", flat=True)
    }
    through = Concept.prerequisites.through.objects.filter(from_concept__course=course)
    for concept, prerequisite in through.values_list("from_concept__slug", "to_concept__slug"):
        requires[concept].add(prerequisite)
    return requires


def _cycle_message(cycle: list[str], course: Course) -> str:
    names = dict(Concept.objects.filter(course=course).values_list("slug", "name"))
    return (
        "That would make a cycle of prerequisites: "
        f"{graph.describe_cycle(cycle, names)} (each needs the next)."
    )


@transaction.atomic
def concept_save(
    *,
    course: Course,
    concept: Concept | None = None,
    slug: str,
    name: str,
    description: str = "",
    prerequisites: list[Concept] = (),  # type: ignore[assignment]
    lessons: list[Lesson] = (),  # type: ignore[assignment]
    **params: float,
) -> Concept:
    """Create or change a concept; a prerequisite that would close a cycle is refused."""
    if concept is not None and concept.slug != slug:
        raise ConceptRefused("A concept's slug cannot change: assignments and exports use it.")
    if slug in RESERVED_SLUGS:
        raise ConceptRefused(f"“{slug}” is reserved; choose another slug.")
    if concept is None and Concept.objects.filter(course=course, slug=slug).exists():
        raise ConceptRefused(f"The course already has a concept called {slug}.")
    if any(p.course_id != course.pk for p in prerequisites) or any(
        lesson.course_id != course.pk for lesson in lessons
    ):
        raise ConceptRefused("Prerequisites and lessons must belong to the same course.")
    requires = course_requires(course)
    requires[slug] = set()
    for prerequisite in prerequisites:
        if cycle := graph.cycle_if_added(requires, slug, prerequisite.slug):
            raise ConceptRefused(_cycle_message(cycle, course))
        requires[slug].add(prerequisite.slug)
    if concept is None:
        position = Concept.objects.filter(course=course).count() + 1
        concept = Concept(course=course, slug=slug, position=position)
    concept.name, concept.description = name, description
    for key, value in params.items():
        setattr(concept, key, value)
    concept.full_clean(exclude=["course"])
    concept.save()
    concept.prerequisites.set(prerequisites)
    concept.lessons.set(lessons)
    return concept


def concepts_export(course: Course) -> dict[str, Any]:
    """The course's graph, lesson tags and approved questions in the import format."""
    concepts = (
        Concept.objects.filter(course=course)
        .prefetch_related("prerequisites", "lessons", "questions")
        .order_by("position", "id")
    )
    return {
        "format": EXPORT_FORMAT,
        "course": course.slug,
        "concepts": [
            {
                "slug": c.slug,
                "name": c.name,
                "description": c.description,
                "prerequisites": sorted(p.slug for p in c.prerequisites.all()),
                "lessons": [lesson.slug for lesson in c.lessons.all()],
                "bkt": {"prior": c.prior, "learn": c.learn, "guess": c.guess, "slip": c.slip},
                "questions": [
                    _question_export(q)
                    for q in c.questions.all()
                    if q.status == QuestionStatus.APPROVED
                ],
            }
            for c in concepts
        ],
    }


def _question_export(question: PracticeQuestion) -> dict[str, Any]:
    data: dict[str, Any] = {"kind": question.kind, "prompt": question.prompt}
    if question.kind == QuestionKind.CHOICE:
        data.update(choices=question.choices, answer=question.answer_index)
    else:
        data["answers"] = question.accepted_answers
    data["explanation"] = question.explanation
    return data


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    questions: int = 0


def _import_problems(course: Course, data: Any) -> list[str]:
    if not isinstance(data, dict) or data.get("format") != EXPORT_FORMAT:
        return [
            f'This is not a concept file: it must be a JSON object with "format": '
            f'"{EXPORT_FORMAT}" and a "concepts" list.'
        ]
    items = data.get("concepts")
    if not isinstance(items, list) or not items:
        return ['"concepts" must be a non-empty list.']
    if len(items) > MAX_IMPORT_CONCEPTS:
        return [f"At most {MAX_IMPORT_CONCEPTS} concepts per file."]
    problems: list[str] = []
    lessons = set(course.lessons.values_list("slug", flat=True))
    existing = set(Concept.objects.filter(course=course).values_list("slug", flat=True))
    seen: set[str] = set()
    for index, item in enumerate(items, start=1):
        where = f"Concept {index}"
        if not isinstance(item, dict):
            problems.append(f"{where} is not an object.")
            continue
        slug = item.get("slug")
        if (
            not isinstance(slug, str)
            or not SLUG.match(slug)
            or len(slug) > 80
            or (slug in RESERVED_SLUGS)
        ):
            problems.append(f"{where}: “slug” must be lowercase letters, digits and hyphens.")
            continue
        where = f"Concept “{slug}”"
        if slug in seen:
            problems.append(f"{where} appears twice.")
        seen.add(slug)
        if not isinstance(item.get("name"), str) or not item["name"].strip():
            problems.append(f"{where}: “name” is required.")
        elif len(item["name"]) > 120:
            problems.append(f"{where}: “name” is longer than 120 characters.")
        for key in ("prerequisites", "lessons", "questions"):
            if not isinstance(item.get(key, []), list):
                problems.append(f"{where}: “{key}” must be a list.")
        for lesson in item.get("lessons", []) if isinstance(item.get("lessons"), list) else []:
            if lesson not in lessons:
                problems.append(f"{where}: the course has no lesson “{lesson}”.")
        bkt_values = item.get("bkt", {})
        if not isinstance(bkt_values, dict) or any(
            key not in bkt.DEFAULT.as_dict()
            or not isinstance(value, int | float)
            or not 0.001 <= value <= (bkt.GUESS_MAX if key in ("guess", "slip") else 0.999)
            for key, value in bkt_values.items()
        ):
            problems.append(
                f"{where}: “bkt” takes prior and learn in 0.001 to 0.999, guess and slip in "
                f"0.001 to {bkt.GUESS_MAX}."
            )
        questions = item.get("questions", [])
        for number, question in enumerate(questions if isinstance(questions, list) else [], 1):
            fields = _question_fields(question)
            for problem in question_problems(**fields).values() if fields else ["not an object"]:
                problems.append(f"{where}, question {number}: {problem}")
    known = seen | existing
    requires: dict[str, set[str]] = course_requires(course)
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("prerequisites", []), list):
            continue
        slug = item.get("slug")
        if not isinstance(slug, str):
            continue
        prerequisites = set(item.get("prerequisites", []))
        for missing in sorted(str(p) for p in prerequisites - known):
            problems.append(f"Concept “{slug}” needs “{missing}”, which is not defined.")
        requires[slug] = {p for p in prerequisites if p in known}
    if not problems and (cycle := graph.find_cycle(requires)):
        problems.append(
            f"The prerequisites make a cycle: {graph.describe_cycle(cycle)} (each needs the next)."
        )
    return problems


@transaction.atomic
def concepts_import(course: Course, data: Any, *, by: Any = None) -> ImportResult:
    """Merge a concept file into the course: concepts are matched by slug, and a concept in the
    file gets exactly the file's prerequisites and lessons. All or nothing."""
    if problems := _import_problems(course, data):
        raise ImportRefused(problems)
    result = ImportResult()
    by_slug = {c.slug: c for c in Concept.objects.filter(course=course)}
    lessons = {lesson.slug: lesson for lesson in course.lessons.all()}
    position = len(by_slug)
    for item in data["concepts"]:
        concept = by_slug.get(item["slug"])
        if concept is None:
            position += 1
            concept = Concept(course=course, slug=item["slug"], position=position)
            result.created += 1
        else:
            result.updated += 1
        concept.name = item["name"].strip()
        concept.description = str(item.get("description", "")).strip()
        for key, value in item.get("bkt", {}).items():
            setattr(concept, key, float(value))
        concept.save()
        by_slug[concept.slug] = concept
    for item in data["concepts"]:
        concept = by_slug[item["slug"]]
        concept.prerequisites.set([by_slug[p] for p in item.get("prerequisites", [])])
        concept.lessons.set([lessons[s] for s in item.get("lessons", [])])
        known = set(concept.questions.values_list("prompt", flat=True))
        for question in item.get("questions", []):
            fields = _question_fields(question)
            assert fields is not None  # validated above
            if fields["prompt"] in known:
                continue  # importing the same file twice does not duplicate questions
            PracticeQuestion.objects.create(
                concept=concept,
                status=QuestionStatus.APPROVED,
                approved_at=timezone.now(),
                created_by=by,
                **fields,
            )
            result.questions += 1
    return result


# --- Practice questions -------------------------------------------------------------------------


def _question_fields(data: Any) -> dict[str, Any] | None:
    if not isinstance(data, dict):
        return None
    kind = data.get("kind")
    answer = data.get("answer")
    return {
        "kind": kind,
        "prompt": str(data.get("prompt", "")).strip(),
        "choices": data.get("choices", []) if kind == QuestionKind.CHOICE else [],
        "answer_index": answer if kind == QuestionKind.CHOICE else None,
        "accepted_answers": data.get("answers", []) if kind == QuestionKind.SHORT else [],
        "explanation": str(data.get("explanation", "")).strip(),
    }


def question_problems(
    *,
    kind: Any,
    prompt: str,
    choices: Any = (),
    answer_index: Any = None,
    accepted_answers: Any = (),
    explanation: str = "",
) -> dict[str, str]:
    """What is wrong with a practice question, by field (forms, import, API and drafts share it)."""
    problems: dict[str, str] = {}
    if kind not in QuestionKind.values:
        return {"kind": "The kind must be “choice” or “short”."}
    if not prompt.strip():
        problems["prompt"] = "The question needs a prompt."
    elif len(prompt) > 5000:
        problems["prompt"] = "The prompt is longer than 5,000 characters."
    if kind == QuestionKind.CHOICE:
        if (
            not isinstance(choices, list)
            or not 2 <= len(choices) <= 6
            or not all(isinstance(c, str) and c.strip() for c in choices)
        ):
            problems["choices"] = "A multiple-choice question needs 2 to 6 non-empty choices."
        elif len({c.strip() for c in choices}) != len(choices):
            problems["choices"] = "Two choices are the same."
        elif (
            isinstance(answer_index, bool)
            or not isinstance(answer_index, int)
            or not 0 <= answer_index < len(choices)
        ):
            problems["answer_index"] = "Say which choice is right."
    elif (
        not isinstance(accepted_answers, list)
        or not accepted_answers
        or not all(isinstance(a, str) and a.strip() for a in accepted_answers)
    ):
        problems["accepted_answers"] = "A short-answer question needs at least one right answer."
    return problems


def question_create(*, concept: Concept, by: Any, **fields: Any) -> PracticeQuestion:
    """A question a teacher wrote: open for practice at once."""
    return PracticeQuestion.objects.create(
        concept=concept,
        created_by=by,
        status=QuestionStatus.APPROVED,
        approved_at=timezone.now(),
        **fields,
    )


def question_update(
    *, question: PracticeQuestion, approve: bool, **fields: Any
) -> PracticeQuestion:
    """A teacher's edit; approving opens a draft for practice. A failed draft that a teacher
    completes by hand becomes a draft."""
    for name, value in fields.items():
        setattr(question, name, value)
    if approve:
        question.status, question.approved_at = QuestionStatus.APPROVED, timezone.now()
    elif question.status == QuestionStatus.FAILED:
        question.status = QuestionStatus.DRAFT
    question.problem = ""
    question.save()
    return question


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    return re.sub(r"\s+", " ", text).strip().strip(_SURROUNDING).strip()


def _number(text: str) -> float | None:
    try:
        value = float(text.replace(",", "")) if text else None
    except ValueError:
        return None
    return value if value is not None and math.isfinite(value) else None


def answer_is_correct(question: PracticeQuestion, response: str) -> bool:
    if question.kind == QuestionKind.CHOICE:
        return response.strip() == str(question.answer_index)
    given = _normalise(response)
    for accepted in question.accepted_answers:
        expected = _normalise(accepted)
        if given == expected:
            return True
        a, b = _number(given), _number(expected)
        if a is not None and b is not None and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9):
            return True
    return False


class PracticeRefused(DomainError):
    pass


@dataclass
class PracticeResult:
    answer: PracticeAnswer
    correct: bool
    counted: bool
    mastery_before: float
    mastery_after: float
    review_due: datetime | None
    newly_mastered: bool = False


def practice_evidence(answer: PracticeAnswer) -> Observation:
    """The evidence (unsaved) that a counted practice answer gives about its concept."""
    return Observation(
        student=answer.student,
        concept=answer.question.concept,
        correct=answer.correct,
        at=answer.created_at,
        source=Source.PRACTICE,
        practice_answer=answer,
    )


@transaction.atomic
def practice_answer_submit(
    *, question: PracticeQuestion, student: Any, response: str, at: datetime | None = None
) -> PracticeResult:
    """Grade one answer at once; if it counts, it is evidence for BKT and an FSRS review."""
    if question.status != QuestionStatus.APPROVED:
        raise PracticeRefused("This question is not open for practice.")
    response = response.strip()
    if not response:
        raise PracticeRefused("Choose or type an answer first.")
    if len(response) > 2000:
        raise PracticeRefused("The answer is longer than 2,000 characters.")
    if question.kind == QuestionKind.CHOICE and response not in {
        str(i) for i in range(len(question.choices))
    }:
        raise PracticeRefused("Choose one of the options.")
    at = at or timezone.now()
    concept = question.concept
    correct = answer_is_correct(question, response)
    _student_lock(student.pk)
    cooldown = timedelta(minutes=settings.LEARNING_REPEAT_COOLDOWN_MINUTES)
    counted = not PracticeAnswer.objects.filter(
        question=question, student=student, counted=True, created_at__gt=at - cooldown
    ).exists()
    answer = PracticeAnswer.objects.create(
        question=question,
        student=student,
        response=response,
        correct=correct,
        counted=counted,
        created_at=at,
    )
    before = Mastery.objects.filter(student=student, concept=concept).first()
    p_before = before.p_known if before else concept.params.prior
    card_before = ReviewCard.objects.filter(student=student, concept=concept).first()
    if not counted:
        return PracticeResult(
            answer, correct, False, p_before, p_before, card_before.due if card_before else None
        )
    practice_evidence(answer).save()
    mastery = mastery_recompute(student_id=student.pk, concept=concept)
    card = ReviewCard.objects.filter(student=student, concept=concept).first()
    if card_before is not None and card is not None:
        card.card = scheduling.card_review(card.card, correct=correct, at=at)
        card.due = scheduling.card_due(card.card)
        card.reviews += 1
        card.last_review_at = at
        card.save(update_fields=["card", "due", "reviews", "last_review_at"])
    return PracticeResult(
        answer,
        correct,
        True,
        p_before,
        mastery.p_known,
        card.due if card else None,
        newly_mastered=card_before is None and card is not None,
    )


# --- Evidence from assignments ------------------------------------------------------------------


def submission_outcomes(submission: Any) -> dict[str, bool]:
    """Concept slug → right or wrong, for one scored submission.

    A code submission's tests count for the concepts they are tagged with (a test without tags
    for all the assignment's concepts), and a concept is right when all its tests passed. A
    text answer, or any answer whose score a teacher overrode, is right for all its concepts
    from LEARNING_TEXT_PASS_RATIO of the points.
    """
    from grading.models import Review, Status

    assignment = submission.assignment
    if submission.status != Status.GRADED or submission.score is None or not assignment.concepts:
        return {}
    if not assignment.is_code or submission.review == Review.OVERRIDDEN:
        ratio = float(submission.score / assignment.max_score) if assignment.max_score else 0.0
        return dict.fromkeys(assignment.concepts, ratio >= settings.LEARNING_TEXT_PASS_RATIO)
    if not submission.tests:
        # No test ran (a syntax error, a limit): nothing was shown to work.
        return dict.fromkeys(assignment.concepts, False)
    results: dict[str, list[bool]] = defaultdict(list)
    for test in submission.tests:
        for slug in assignment.test_concepts.get(test["name"]) or assignment.concepts:
            results[slug].append(test["outcome"] == "passed")
    everything = all(test["outcome"] == "passed" for test in submission.tests)
    return {
        slug: all(results[slug]) if results[slug] else everything for slug in assignment.concepts
    }


@transaction.atomic
def submission_record(submission: Any) -> int:
    """Store (or, after a regrade or review, replace) a submission's evidence; returns how many
    concepts it touched. Concepts the course's graph does not define are ignored."""
    outcomes = submission_outcomes(submission)
    concepts = Concept.objects.filter(course_id=submission.assignment.course_id, slug__in=outcomes)
    for concept in concepts:
        Observation.objects.update_or_create(
            submission=submission,
            concept=concept,
            defaults={
                "student_id": submission.student_id,
                "correct": outcomes[concept.slug],
                "at": submission.created_at,
                "source": Source.ASSIGNMENT,
            },
        )
        mastery_recompute(student_id=submission.student_id, concept=concept)
    return len(concepts)


# --- Mastery ------------------------------------------------------------------------------------


def _student_lock(student_id: int) -> None:
    """Serialise one student's answers, graded submissions and refits on their user row.

    Without it two answers sent at the same moment would both pass the repeat check and both
    count, and a practice answer racing a graded submission could each replay BKT without the
    other's evidence. The lock lasts until the caller's transaction ends; taking it again in
    the same transaction is free.
    """
    list(get_user_model().objects.select_for_update().filter(pk=student_id).values_list("pk"))


def mastery_recompute(*, student_id: int, concept: Concept) -> Mastery:
    """Run BKT over the student's evidence for the concept, in time order, and store the trace.

    Recomputing from the evidence (rather than updating a running value) keeps mastery right
    when a regrade or a teacher's review changes an old attempt, or the parameters are refitted.
    """
    _student_lock(student_id)
    observations = list(
        Observation.objects.filter(student_id=student_id, concept=concept).order_by("at", "id")
    )
    values = bkt.trace((o.correct for o in observations), concept.params)
    changed = []
    for observation, value in zip(observations, values, strict=True):
        if not math.isclose(observation.mastery_after, value, abs_tol=1e-12):
            observation.mastery_after = value
            changed.append(observation)
    Observation.objects.bulk_update(changed, ["mastery_after"])
    threshold = settings.LEARNING_MASTERY_THRESHOLD
    mastered_at = next((o.at for o in observations if o.mastery_after >= threshold), None)
    mastery, _ = Mastery.objects.update_or_create(
        student_id=student_id,
        concept=concept,
        defaults={
            "p_known": values[-1] if values else concept.params.prior,
            "attempts": len(observations),
            "correct": sum(o.correct for o in observations),
            "last_attempt_at": observations[-1].at if observations else None,
            "mastered_at": mastered_at,
        },
    )
    if (
        mastered_at
        and not ReviewCard.objects.filter(student_id=student_id, concept=concept).exists()
    ):
        # Mastery is the first successful "review": FSRS schedules the next one from here.
        card = scheduling.card_review(None, correct=True, at=mastered_at)
        ReviewCard.objects.create(
            student_id=student_id,
            concept=concept,
            card=card,
            due=scheduling.card_due(card),
            reviews=1,
            last_review_at=mastered_at,
        )
    return mastery


@dataclass
class FitResult:
    concept: Concept
    answers: int
    students: int
    params: bkt.Params | None  # None: not enough data, the defaults stay in force
    recomputed: int = 0
    notes: list[str] = field(default_factory=list)


def concept_params_fit(course: Course) -> list[FitResult]:
    """Fit each concept's BKT parameters with EM where the class has enough answers, then
    recompute every student's mastery of the refitted concepts."""
    results = []
    for concept in Concept.objects.filter(course=course):
        sequences: dict[int, list[bool]] = defaultdict(list)
        newest = 0
        for observation_id, student_id, correct in (
            Observation.objects.filter(concept=concept)
            .order_by("at", "id")
            .values_list("id", "student_id", "correct")
        ):
            sequences[student_id].append(correct)
            newest = max(newest, observation_id)
        answers = sum(len(s) for s in sequences.values())
        result = FitResult(concept, answers, len(sequences), None)
        if (
            answers >= settings.LEARNING_FIT_MIN_ANSWERS
            and len(sequences) >= settings.LEARNING_FIT_MIN_STUDENTS
        ):
            start = bkt.Params(concept.prior, concept.learn, concept.guess, concept.slip)
            result.params = bkt.fit(list(sequences.values()), start=start)
            concept.fitted = {
                **result.params.as_dict(),
                "answers": answers,
                "students": len(sequences),
                "fitted_at": timezone.now().isoformat(),
                "through_observation": newest,
            }
            concept.save(update_fields=["fitted"])
            # One transaction per student: each holds only that student's lock, briefly, so
            # students answering while a class is refitted wait milliseconds, not the whole fit.
            for student_id in sequences:
                with transaction.atomic():
                    mastery_recompute(student_id=student_id, concept=concept)
            result.recomputed = len(sequences)
        results.append(result)
    return results


def courses_due_for_refit() -> list[Course]:
    """Courses with a concept that has enough data to fit and answers its last fit did not see.

    The nightly task refits only these, so a quiet course costs one aggregate query.
    """
    enough = (
        Observation.objects.values("concept_id")
        .annotate(
            answers=Count("id"), students=Count("student_id", distinct=True), newest=Max("id")
        )
        .filter(
            answers__gte=settings.LEARNING_FIT_MIN_ANSWERS,
            students__gte=settings.LEARNING_FIT_MIN_STUDENTS,
        )
    )
    newest = {row["concept_id"]: row["newest"] for row in enough}
    course_ids = {
        course_id
        for concept_id, course_id, fitted in Concept.objects.filter(pk__in=newest).values_list(
            "pk", "course_id", "fitted"
        )
        if newest[concept_id] > ((fitted or {}).get("through_observation") or 0)
    }
    return list(Course.objects.filter(pk__in=course_ids).order_by("pk"))
