"""Reads for a student's learning path: mastery per concept, what next and why, reviews due,
progress, and the dashboard's one-line summary per course.

The path is computed in a fixed, small number of queries whatever the size of the course; the
figures are in bench/paths.py.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, Max
from django.utils import timezone
from django.utils.translation import gettext, ngettext, pgettext, pgettext_lazy

from courses.models import Course, LessonCompletion
from learning import graph
from learning.models import (
    Concept,
    Mastery,
    Observation,
    PracticeAnswer,
    PracticeQuestion,
    ReviewCard,
)

PROGRESS_DAYS = 28


def _join(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return gettext("%(names)s and %(last)s") % {
        "names": pgettext("separator of a list of names", ", ").join(names[:-1]),
        "last": names[-1],
    }


# What the path page shows for ConceptState.status (the API keeps the plain values).
STATUS_LABELS = {
    "mastered": pgettext_lazy("a concept's state", "mastered"),
    "locked": pgettext_lazy("a concept's state", "locked"),
    "in progress": pgettext_lazy("a concept's state", "in progress"),
    "ready": pgettext_lazy("a concept's state", "ready"),
}


@dataclass
class ConceptState:
    concept: Concept
    p_known: float
    attempts: int = 0
    correct: int = 0
    mastered: bool = False
    ready: bool = False  # every prerequisite mastered
    missing: list[Concept] = field(default_factory=list)  # prerequisites not mastered yet

    @property
    def percent(self) -> int:
        return round(self.p_known * 100)

    @property
    def status(self) -> str:
        if self.mastered:
            return "mastered"
        if not self.ready:
            return "locked"
        return "in progress" if self.attempts else "ready"

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.status])


@dataclass
class Activity:
    kind: str  # lesson, practice, assignment
    title: str
    url: str
    action: str  # what the button says


@dataclass
class Recommendation:
    state: ConceptState
    reasons: list[str]
    score: float
    activity: Activity | None = None


@dataclass
class ReviewItem:
    concept: Concept
    due: datetime
    activity: Activity | None
    overdue: bool = False  # due before today: the page says since when


@dataclass
class ProgressPoint:
    day: date
    mastered: int
    mean: float


@dataclass
class StudentPath:
    course: Course
    student: Any
    threshold: float
    concepts: list[ConceptState]
    next: Recommendation | None
    alternatives: list[Recommendation]
    reviews_due: list[ReviewItem]
    upcoming_reviews: list[ReviewItem]
    progress: list[ProgressPoint]

    @property
    def mastered_count(self) -> int:
        return sum(state.mastered for state in self.concepts)


@dataclass
class _Graph:
    concepts: list[Concept]
    by_id: dict[int, Concept]
    requires: dict[int, set[int]]
    lessons: dict[int, list[Any]]


def _course_graph(course: Course) -> _Graph:
    concepts = list(Concept.objects.filter(course=course).order_by("position", "id"))
    by_id = {c.pk: c for c in concepts}
    requires: dict[int, set[int]] = {c.pk: set() for c in concepts}
    for concept_id, prerequisite_id in Concept.prerequisites.through.objects.filter(
        from_concept__course=course
    ).values_list("from_concept_id", "to_concept_id"):
        requires[concept_id].add(prerequisite_id)
    lessons: dict[int, list[Any]] = defaultdict(list)
    through = Concept.lessons.through.objects.filter(concept__course=course).select_related(
        "lesson__course"
    )
    for link in through.order_by("lesson__module__position", "lesson__position"):
        lessons[link.concept_id].append(link.lesson)
    return _Graph(concepts, by_id, requires, lessons)


def rank_candidates(
    *,
    requires: dict[Any, set[Any]],
    mastered: set[Any],
    struggles: dict[Any, int],
    order: list[Any],
) -> list[tuple[Any, float, list[Any]]]:
    """(concept, score, concepts it unlocks) for every concept not mastered whose prerequisites
    all are, best first. The score is how many concepts mastering it unlocks at once, a tenth
    of how many more lie beyond them, and up to 3 for recent wrong answers (a struggle is worth
    fixing before moving on). Ties keep the course's order."""
    unlocks = graph.dependents(requires)
    ranked = []
    for concept in order:
        if concept in mastered or not requires[concept] <= mastered:
            continue
        opens = [
            d
            for d in unlocks.get(concept, ())
            if d not in mastered and requires[d] - {concept} <= mastered
        ]
        beyond = len(graph.descendants(unlocks, concept) - mastered) - len(opens)
        score = len(opens) + 0.1 * beyond + min(struggles.get(concept, 0), 3)
        ranked.append((concept, score, sorted(opens, key=order.index)))
    ranked.sort(key=lambda item: (-item[1], order.index(item[0])))
    return ranked


class _Activities:
    """Picks the activity for a concept: the lesson first, then practice questions not yet
    answered right, then an assignment not yet passed, then practice again."""

    def __init__(self, course: Course, student: Any, course_graph: _Graph) -> None:
        from grading.models import Assignment, Status

        self.graph = course_graph
        self.questions: dict[int, list[PracticeQuestion]] = defaultdict(list)
        questions = PracticeQuestion.objects.approved().filter(concept__course=course)
        for question in questions.select_related("concept__course"):
            self.questions[question.concept_id].append(question)
        self.right: set[int] = set()
        self.last_answered: dict[int, datetime] = {}
        for question_id, correct, at in PracticeAnswer.objects.filter(
            student=student, question__concept__course=course
        ).values_list("question_id", "correct", "created_at"):
            if correct:
                self.right.add(question_id)
            self.last_answered[question_id] = max(at, self.last_answered.get(question_id, at))
        self.read = set(
            LessonCompletion.objects.filter(user=student, lesson__course=course).values_list(
                "lesson_id", flat=True
            )
        )
        self.assignments = list(
            Assignment.objects.filter(course=course).published().select_related("course")
        )
        best = (
            student.submissions.filter(assignment__course=course, status=Status.GRADED)
            .values("assignment_id")
            .annotate(best=Max("score"))
        )
        self.best = {row["assignment_id"]: row["best"] for row in best}

    def _practice(self, question: PracticeQuestion) -> Activity:
        return Activity(
            "practice",
            gettext("Practice question"),
            question.get_absolute_url(),
            gettext("Answer a question"),
        )

    def review(self, concept: Concept) -> Activity | None:
        questions = self.questions.get(concept.pk, [])
        if questions:
            never = datetime.min.replace(tzinfo=UTC)
            oldest = min(questions, key=lambda q: (self.last_answered.get(q.pk, never), q.pk))
            return self._practice(oldest)
        return self._lesson(concept)

    def _lesson(self, concept: Concept) -> Activity | None:
        lessons = self.graph.lessons.get(concept.pk)
        if not lessons:
            return None
        lesson = next((x for x in lessons if x.pk not in self.read), lessons[0])
        return Activity(
            "lesson", lesson.title, lesson.get_absolute_url(), gettext("Read the lesson")
        )

    def for_concept(self, state: ConceptState) -> Activity | None:
        concept = state.concept
        unread = [x for x in self.graph.lessons.get(concept.pk, []) if x.pk not in self.read]
        if unread and not state.attempts:
            lesson = unread[0]
            return Activity(
                "lesson", lesson.title, lesson.get_absolute_url(), gettext("Read the lesson")
            )
        questions = self.questions.get(concept.pk, [])
        fresh = [q for q in questions if q.pk not in self.right]
        if fresh:
            return self._practice(min(fresh, key=lambda q: (q.pk in self.last_answered, q.pk)))
        for assignment in self.assignments:
            if concept.slug in assignment.concepts and self.best.get(assignment.pk) != (
                assignment.max_score
            ):
                return Activity(
                    "assignment",
                    assignment.title,
                    assignment.get_absolute_url(),
                    gettext("Do the assignment"),
                )
        return self.review(concept)


def _states(
    course_graph: _Graph, masteries: dict[int, Mastery], threshold: float
) -> list[ConceptState]:
    states = []
    for concept in course_graph.concepts:
        mastery = masteries.get(concept.pk)
        p_known = mastery.p_known if mastery else concept.params.prior
        states.append(
            ConceptState(
                concept,
                p_known,
                mastery.attempts if mastery else 0,
                mastery.correct if mastery else 0,
                mastered=p_known >= threshold,
            )
        )
    mastered = {s.concept.pk for s in states if s.mastered}
    for state in states:
        missing = course_graph.requires[state.concept.pk] - mastered
        state.ready = not missing
        state.missing = [course_graph.by_id[m] for m in sorted(missing)]
    return states


def _reasons(state: ConceptState, course_graph: _Graph, opens: list[int], wrong: int) -> list[str]:
    concept = state.concept
    prerequisites = [course_graph.by_id[p].name for p in sorted(course_graph.requires[concept.pk])]
    reasons = []
    if prerequisites:
        reasons.append(
            ngettext(
                "You have mastered %(names)s; %(concept)s builds on it.",
                "You have mastered %(names)s; %(concept)s builds on them.",
                len(prerequisites),
            )
            % {"names": _join(prerequisites), "concept": concept.name}
        )
    else:
        reasons.append(
            gettext("%(concept)s needs nothing else first: a good place to start.")
            % {"concept": concept.name}
        )
    if opens:
        reasons.append(
            gettext("Mastering it unlocks %(names)s.")
            % {"names": _join([course_graph.by_id[o].name for o in opens])}
        )
    if wrong:
        days = settings.LEARNING_STRUGGLE_DAYS
        reasons.append(
            ngettext(
                "You missed it %(count)s time in the last %(days)s days; "
                "a little more practice will make it stick.",
                "You missed it %(count)s times in the last %(days)s days; "
                "a little more practice will make it stick.",
                wrong,
            )
            % {"count": wrong, "days": days}
        )
    if state.attempts:
        goal = round(settings.LEARNING_MASTERY_THRESHOLD * 100)
        reasons.append(
            gettext("Your mastery is %(percent)s%% (mastered from %(goal)s%%).")
            % {"percent": state.percent, "goal": goal}
        )
    return reasons


def _progress(
    course_graph: _Graph,
    observations: list[tuple[int, bool, datetime, float]],
    threshold: float,
    today: date,
) -> list[ProgressPoint]:
    """Concepts mastered and mean mastery at the end of each of the last PROGRESS_DAYS days."""
    current = {c.pk: c.params.prior for c in course_graph.concepts}
    if not current:
        return []
    points = []
    index = 0
    tz = timezone.get_current_timezone()
    for offset in range(PROGRESS_DAYS - 1, -1, -1):
        day = today - timedelta(days=offset)
        while index < len(observations) and observations[index][2].astimezone(tz).date() <= day:
            concept_id, _, _, after = observations[index]
            current[concept_id] = after
            index += 1
        values = list(current.values())
        points.append(
            ProgressPoint(day, sum(v >= threshold for v in values), sum(values) / len(values))
        )
    return points


def _today(now: datetime) -> tuple[datetime, datetime]:
    """The first and the last instant of `now`'s day in the site's time zone."""
    start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + timedelta(days=1) - timedelta(microseconds=1)


def student_path(*, course: Course, student: Any, now: datetime | None = None) -> StudentPath:
    """Everything the “My path” page and its API show, for one student in one course."""
    now = now or timezone.now()
    threshold = settings.LEARNING_MASTERY_THRESHOLD
    course_graph = _course_graph(course)
    masteries = {
        m.concept_id: m for m in Mastery.objects.filter(student=student, concept__course=course)
    }
    states = _states(course_graph, masteries, threshold)
    by_id = {s.concept.pk: s for s in states}
    observations = list(
        Observation.objects.filter(student=student, concept__course=course)
        .order_by("at", "id")
        .values_list("concept_id", "correct", "at", "mastery_after")
    )
    since = now - timedelta(days=settings.LEARNING_STRUGGLE_DAYS)
    struggles: dict[int, int] = defaultdict(int)
    for concept_id, correct, at, _ in observations:
        if not correct and at >= since:
            struggles[concept_id] += 1
    activities = _Activities(course, student, course_graph)
    ranked = rank_candidates(
        requires=course_graph.requires,
        mastered={s.concept.pk for s in states if s.mastered},
        struggles=struggles,
        order=[c.pk for c in course_graph.concepts],
    )
    recommendations = []
    for concept_id, score, opens in ranked[:4]:
        state = by_id[concept_id]
        recommendation = Recommendation(
            state, _reasons(state, course_graph, opens, struggles.get(concept_id, 0)), score
        )
        recommendation.activity = activities.for_concept(state)
        recommendations.append(recommendation)
    start_of_today, end_of_today = _today(now)
    cards = ReviewCard.objects.filter(student=student, concept__course=course).order_by("due")
    reviews_due: list[ReviewItem] = []
    upcoming: list[ReviewItem] = []
    for card in cards:
        concept = course_graph.by_id[card.concept_id]
        if card.due <= end_of_today:
            reviews_due.append(
                ReviewItem(concept, card.due, activities.review(concept), card.due < start_of_today)
            )
        elif len(upcoming) < 5:
            upcoming.append(ReviewItem(concept, card.due, None))
    return StudentPath(
        course=course,
        student=student,
        threshold=threshold,
        concepts=states,
        next=recommendations[0] if recommendations else None,
        alternatives=recommendations[1:],
        reviews_due=reviews_due,
        upcoming_reviews=upcoming,
        progress=_progress(course_graph, observations, threshold, timezone.localtime(now).date()),
    )


@dataclass
class PathSummary:
    """What a course's "My path" headlines, for the dashboard."""

    mastered: int
    concepts: int
    reviews_due: int


def path_summaries(
    *, student: Any, course_ids: list[int], now: datetime | None = None
) -> dict[int, PathSummary]:
    """{course id: summary} for the courses that have concepts; three queries for them all."""
    _, end_of_today = _today(now or timezone.now())

    def per_course(queryset: Any, course_field: str) -> dict[int, int]:
        counts = queryset.values(course_field).annotate(n=Count("id"))
        return {row[course_field]: row["n"] for row in counts}

    concepts = per_course(Concept.objects.filter(course_id__in=course_ids), "course_id")
    mastered = per_course(
        Mastery.objects.filter(
            student=student,
            concept__course_id__in=course_ids,
            p_known__gte=settings.LEARNING_MASTERY_THRESHOLD,
        ),
        "concept__course_id",
    )
    due = per_course(
        ReviewCard.objects.filter(
            student=student, concept__course_id__in=course_ids, due__lte=end_of_today
        ),
        "concept__course_id",
    )
    return {
        course_id: PathSummary(mastered.get(course_id, 0), total, due.get(course_id, 0))
        for course_id, total in concepts.items()
    }
