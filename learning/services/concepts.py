"""Writes for the concept graph: saving a concept (a prerequisite that would close a cycle is
refused) and the course's concept file, exported and imported in one JSON format."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from courses.models import Course, Lesson
from learning import bkt, graph
from learning.models import Concept, PracticeQuestion, QuestionKind, QuestionStatus
from learning.services.practice import question_file_fields, question_problems

EXPORT_FORMAT = "llmasos-concepts/1"
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


def course_requires(*, course: Course) -> dict[str, set[str]]:
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
    return _("That would make a cycle of prerequisites: %(cycle)s (each needs the next).") % {
        "cycle": graph.describe_cycle(cycle, names)
    }


@transaction.atomic
def concept_save(
    *,
    course: Course,
    concept: Concept | None = None,
    slug: str,
    name: str,
    description: str = "",
    prerequisites: Sequence[Concept] = (),
    lessons: Sequence[Lesson] = (),
    **params: float,
) -> Concept:
    """Create or change a concept; a prerequisite that would close a cycle is refused."""
    if concept is not None and concept.slug != slug:
        raise ConceptRefused(_("A concept's slug cannot change: assignments and exports use it."))
    if slug in RESERVED_SLUGS:
        raise ConceptRefused(_("“%(slug)s” is reserved; choose another slug.") % {"slug": slug})
    if concept is None and Concept.objects.filter(course=course, slug=slug).exists():
        raise ConceptRefused(
            _("The course already has a concept called %(slug)s.") % {"slug": slug}
        )
    if any(p.course_id != course.pk for p in prerequisites) or any(
        lesson.course_id != course.pk for lesson in lessons
    ):
        raise ConceptRefused(_("Prerequisites and lessons must belong to the same course."))
    requires = course_requires(course=course)
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


def concepts_export(*, course: Course) -> dict[str, Any]:
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
            _(
                'This is not a concept file: it must be a JSON object with "format": '
                '"%(format)s" and a "concepts" list.'
            )
            % {"format": EXPORT_FORMAT}
        ]
    items = data.get("concepts")
    if not isinstance(items, list) or not items:
        return [_('"concepts" must be a non-empty list.')]
    if len(items) > MAX_IMPORT_CONCEPTS:
        return [_("At most %(count)s concepts per file.") % {"count": MAX_IMPORT_CONCEPTS}]
    problems: list[str] = []
    lessons = set(course.lessons.values_list("slug", flat=True))
    existing = set(Concept.objects.filter(course=course).values_list("slug", flat=True))
    seen: set[str] = set()
    for index, item in enumerate(items, start=1):
        where = _("Concept %(number)s") % {"number": index}
        if not isinstance(item, dict):
            problems.append(_("%(where)s is not an object.") % {"where": where})
            continue
        slug = item.get("slug")
        if (
            not isinstance(slug, str)
            or not SLUG.match(slug)
            or len(slug) > 80
            or (slug in RESERVED_SLUGS)
        ):
            problems.append(
                _("%(where)s: “slug” must be lowercase letters, digits and hyphens.")
                % {"where": where}
            )
            continue
        where = _("Concept “%(slug)s”") % {"slug": slug}
        if slug in seen:
            problems.append(_("%(where)s appears twice.") % {"where": where})
        seen.add(slug)
        if not isinstance(item.get("name"), str) or not item["name"].strip():
            problems.append(_("%(where)s: “name” is required.") % {"where": where})
        elif len(item["name"]) > 120:
            problems.append(
                _("%(where)s: “name” is longer than 120 characters.") % {"where": where}
            )
        for key in ("prerequisites", "lessons", "questions"):
            if not isinstance(item.get(key, []), list):
                problems.append(
                    _("%(where)s: “%(key)s” must be a list.") % {"where": where, "key": key}
                )
        for lesson in item.get("lessons", []) if isinstance(item.get("lessons"), list) else []:
            if lesson not in lessons:
                problems.append(
                    _("%(where)s: the course has no lesson “%(lesson)s”.")
                    % {"where": where, "lesson": lesson}
                )
        bkt_values = item.get("bkt", {})
        if not isinstance(bkt_values, dict) or any(
            key not in bkt.DEFAULT.as_dict()
            or not isinstance(value, int | float)
            or not 0.001 <= value <= (bkt.GUESS_MAX if key in ("guess", "slip") else 0.999)
            for key, value in bkt_values.items()
        ):
            problems.append(
                _(
                    "%(where)s: “bkt” takes prior and learn in 0.001 to 0.999, guess and slip in "
                    "0.001 to %(max)s."
                )
                % {"where": where, "max": bkt.GUESS_MAX}
            )
        questions = item.get("questions", [])
        for number, question in enumerate(questions if isinstance(questions, list) else [], 1):
            fields = question_file_fields(data=question)
            for problem in question_problems(**fields).values() if fields else [_("not an object")]:
                problems.append(
                    _("%(where)s, question %(number)s: %(problem)s")
                    % {"where": where, "number": number, "problem": problem}
                )
    known = seen | existing
    requires: dict[str, set[str]] = course_requires(course=course)
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("prerequisites", []), list):
            continue
        slug = item.get("slug")
        if not isinstance(slug, str):
            continue
        prerequisites = set(item.get("prerequisites", []))
        for missing in sorted(str(p) for p in prerequisites - known):
            problems.append(
                _("Concept “%(slug)s” needs “%(missing)s”, which is not defined.")
                % {"slug": slug, "missing": missing}
            )
        requires[slug] = {p for p in prerequisites if p in known}
    if not problems and (cycle := graph.find_cycle(requires)):
        problems.append(
            _("The prerequisites make a cycle: %(cycle)s (each needs the next).")
            % {"cycle": graph.describe_cycle(cycle)}
        )
    return problems


@transaction.atomic
def concepts_import(*, course: Course, data: Any, by: Any = None) -> ImportResult:
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
            fields = question_file_fields(data=question)
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
