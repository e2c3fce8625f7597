"""DRF serializers for learning/api.py: the input and output of every endpoint, so the OpenAPI
schema (/api/schema/) describes them.

The output serializers read the selectors' dataclasses (paths.StudentPath, classroom.ClassView)
and the services' results; they reproduce exactly the JSON the API has always returned, so two
details are deliberate: figures are rounded to 4 decimals, and date-times are written with
`datetime.isoformat()` ("+00:00", not DRF's "Z").
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

# --- Fields ---------------------------------------------------------------------------------------


class Rounded(serializers.FloatField):
    """A probability or rate, rounded to 4 decimals: more digits are noise to a reader."""

    def to_representation(self, value: Any) -> Any:  # a float; DRF's stubs say str
        return round(float(value), 4)


class IsoDateTime(serializers.DateTimeField):
    """`datetime.isoformat()`, as the API wrote it before it had serializers."""

    def to_representation(self, value: datetime) -> str:
        return value.isoformat()


class Slugs(serializers.ListField):
    """A list of objects (concepts) written as their slugs."""

    child = serializers.CharField()

    def to_representation(self, data: Any) -> list[str]:
        return [item.slug for item in data]


class AbsoluteUrl(serializers.CharField):
    """A site path made absolute with the request's host, so API clients can follow it."""

    def to_representation(self, value: str) -> str:
        return self.context["request"].build_absolute_uri(value)


# --- A student's path (GET /api/courses/<slug>/path/) -------------------------------------------


@extend_schema_serializer(component_name="LearningActivity")
class ActivitySerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="lesson, practice or assignment")
    title = serializers.CharField()
    action = serializers.CharField(help_text="What the button says.")
    url = AbsoluteUrl()


class RecommendationSerializer(serializers.Serializer):
    concept = serializers.CharField(source="state.concept.slug")
    name = serializers.CharField(source="state.concept.name")
    mastery = Rounded(source="state.p_known")
    reasons = serializers.ListField(child=serializers.CharField())
    activity = ActivitySerializer(allow_null=True)


class ConceptStateSerializer(serializers.Serializer):
    concept = serializers.CharField(source="concept.slug")
    name = serializers.CharField(source="concept.name")
    mastery = Rounded(source="p_known")
    status = serializers.CharField(help_text="mastered, locked, in progress or ready")
    mastered = serializers.BooleanField()
    attempts = serializers.IntegerField()
    correct = serializers.IntegerField()
    missing_prerequisites = Slugs(source="missing")


class ReviewDueSerializer(serializers.Serializer):
    concept = serializers.CharField(source="concept.slug")
    due = IsoDateTime()
    overdue = serializers.BooleanField(help_text="Due before today.")
    activity = ActivitySerializer(allow_null=True)


class UpcomingReviewSerializer(serializers.Serializer):
    concept = serializers.CharField(source="concept.slug")
    due = IsoDateTime()


class ProgressPointSerializer(serializers.Serializer):
    day = serializers.DateField()
    mastered = serializers.IntegerField()
    mean_mastery = Rounded(source="mean")


@extend_schema_serializer(component_name="LearningPath")
class StudentPathSerializer(serializers.Serializer):
    course = serializers.CharField(source="course.slug")
    student = serializers.CharField(source="student.username")
    threshold = serializers.FloatField()
    mastered_count = serializers.IntegerField()
    concepts = ConceptStateSerializer(many=True)
    next = RecommendationSerializer(allow_null=True)
    alternatives = RecommendationSerializer(many=True)
    reviews_due = ReviewDueSerializer(many=True)
    upcoming_reviews = UpcomingReviewSerializer(many=True)
    progress = ProgressPointSerializer(many=True)


# --- A teacher's class view (GET /api/courses/<slug>/class/) ------------------------------------


class HeatmapRowSerializer(serializers.Serializer):
    student = serializers.CharField(source="student.username")
    mastery = serializers.ListField(
        source="cells",
        child=Rounded(allow_null=True),
        help_text="Mastery per concept, in the order of `concepts`; null: no attempt yet.",
    )
    mastered = serializers.IntegerField()


class StuckStudentSerializer(serializers.Serializer):
    student = serializers.CharField(source="student.username")
    concept = serializers.CharField(source="concept.slug")
    attempts = serializers.IntegerField()
    mastery = Rounded(source="p_known")
    rise = Rounded()


class ConceptDifficultySerializer(serializers.Serializer):
    concept = serializers.CharField(source="concept.slug")
    attempts = serializers.IntegerField()
    error_rate = Rounded()
    mean_mastery = Rounded()
    mastered = serializers.IntegerField()
    students = serializers.IntegerField(help_text="Students who attempted it.")


@extend_schema_serializer(component_name="LearningClassView")
class ClassViewSerializer(serializers.Serializer):
    concepts = Slugs()
    students = HeatmapRowSerializer(source="rows", many=True)
    stuck = StuckStudentSerializer(many=True)
    hardest = ConceptDifficultySerializer(many=True)


# --- The concept file (GET and PUT /api/courses/<slug>/concepts/) -------------------------------
# The file is validated by learning.services.concepts (all or nothing, every problem listed in
# one 400), not by these serializers: they describe its shape and write the export.


class ConceptFileQuestionSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["choice", "short"])
    prompt = serializers.CharField()
    choices = serializers.ListField(
        child=serializers.CharField(), required=False, help_text="Multiple choice only."
    )
    answer = serializers.IntegerField(
        required=False, help_text="Multiple choice only: the 0-based index of the right choice."
    )
    answers = serializers.ListField(
        child=serializers.CharField(), required=False, help_text="Short answer only."
    )
    explanation = serializers.CharField(required=False, allow_blank=True)


class ConceptFileBktSerializer(serializers.Serializer):
    prior = serializers.FloatField(required=False)
    learn = serializers.FloatField(required=False)
    guess = serializers.FloatField(required=False)
    slip = serializers.FloatField(required=False)


class ConceptFileConceptSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()
    description = serializers.CharField(required=False, allow_blank=True)
    prerequisites = serializers.ListField(child=serializers.SlugField(), required=False)
    lessons = serializers.ListField(
        child=serializers.SlugField(), required=False, help_text="Lesson slugs of the course."
    )
    bkt = ConceptFileBktSerializer(required=False)
    questions = ConceptFileQuestionSerializer(many=True, required=False)


@extend_schema_serializer(component_name="ConceptFile")
class ConceptFileSerializer(serializers.Serializer):
    format = serializers.CharField(help_text='"llmasos-concepts/1"')
    course = serializers.SlugField(required=False, help_text="Informative; not checked.")
    concepts = ConceptFileConceptSerializer(many=True)


@extend_schema_serializer(component_name="ConceptImportResult")
class ConceptImportResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    questions = serializers.IntegerField(help_text="Questions added (known prompts are skipped).")


@extend_schema_serializer(component_name="ConceptImportProblems")
class ConceptImportProblemsSerializer(serializers.Serializer):
    problems = serializers.ListField(child=serializers.CharField())


# --- Answering a practice question (POST /api/practice/<id>/answers/) ---------------------------


@extend_schema_serializer(component_name="PracticeAnswerInput")
class PracticeAnswerInputSerializer(serializers.Serializer):
    answer = serializers.CharField(
        max_length=2000, help_text="Multiple choice: the 0-based index of the chosen option."
    )


@extend_schema_serializer(component_name="PracticeAnswerResult")
class PracticeAnswerResultSerializer(serializers.Serializer):
    """Reads a services.practice.PracticeResult."""

    correct = serializers.BooleanField()
    counted = serializers.BooleanField(
        help_text="False when the same question was answered moments ago: not evidence again."
    )
    right_answer = serializers.CharField(source="answer.question.right_answer")
    explanation = serializers.CharField(source="answer.question.explanation")
    mastery_before = Rounded()
    mastery_after = Rounded()
    newly_mastered = serializers.BooleanField()
    review_due = IsoDateTime(allow_null=True)


@extend_schema_serializer(component_name="LearningError")
class LearningErrorSerializer(serializers.Serializer):
    """The error shape every endpoint shares."""

    detail = serializers.CharField()
