"""REST: a student's path (the same facts as the page), the class view, the concept graph as
JSON (export and import), and answering a practice question."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from courses.access import is_enrolled
from courses.api import course_for_reader, course_for_teacher
from learning.models import PracticeQuestion, QuestionStatus
from learning.selectors import classroom, paths
from learning.services import concepts as concept_services
from learning.services import practice as practice_services
from learning.views import path_student


def _activity(activity: paths.Activity | None, request: Request) -> dict[str, str] | None:
    if activity is None:
        return None
    return {
        "kind": activity.kind,
        "title": activity.title,
        "action": activity.action,
        "url": request.build_absolute_uri(activity.url),
    }


def _recommendation(item: paths.Recommendation, request: Request) -> dict[str, Any]:
    return {
        "concept": item.state.concept.slug,
        "name": item.state.concept.name,
        "mastery": round(item.state.p_known, 4),
        "reasons": item.reasons,
        "activity": _activity(item.activity, request),
    }


def path_json(path: paths.StudentPath, request: Request) -> dict[str, Any]:
    return {
        "course": path.course.slug,
        "student": path.student.username,
        "threshold": path.threshold,
        "mastered_count": path.mastered_count,
        "concepts": [
            {
                "concept": state.concept.slug,
                "name": state.concept.name,
                "mastery": round(state.p_known, 4),
                "status": state.status,
                "mastered": state.mastered,
                "attempts": state.attempts,
                "correct": state.correct,
                "missing_prerequisites": [c.slug for c in state.missing],
            }
            for state in path.concepts
        ],
        "next": _recommendation(path.next, request) if path.next else None,
        "alternatives": [_recommendation(r, request) for r in path.alternatives],
        "reviews_due": [
            {
                "concept": item.concept.slug,
                "due": item.due.isoformat(),
                "overdue": item.overdue,
                "activity": _activity(item.activity, request),
            }
            for item in path.reviews_due
        ],
        "upcoming_reviews": [
            {"concept": item.concept.slug, "due": item.due.isoformat()}
            for item in path.upcoming_reviews
        ],
        "progress": [
            {"day": p.day.isoformat(), "mastered": p.mastered, "mean_mastery": round(p.mean, 4)}
            for p in path.progress
        ],
    }


class PathApi(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("student", int, description="Teachers only: an enrolled student's id.")
        ],
        responses={200: OpenApiTypes.OBJECT},
        description="Mastery per concept, the recommended next activity with its reasons, "
        "reviews due today and progress over four weeks: the same as the “My path” page.",
    )
    def get(self, request: Request, slug: str) -> Response:
        course = course_for_reader(request, slug)
        student = path_student(request, course)
        return Response(path_json(paths.student_path(course=course, student=student), request))


class ClassViewApi(APIView):
    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request, slug: str) -> Response:
        course = course_for_teacher(request, slug)
        view = classroom.class_view(course=course)
        return Response(
            {
                "concepts": [c.slug for c in view.concepts],
                "students": [
                    {
                        "student": row.student.username,
                        "mastery": [None if v is None else round(v, 4) for v in row.cells],
                        "mastered": row.mastered,
                    }
                    for row in view.rows
                ],
                "stuck": [
                    {
                        "student": s.student.username,
                        "concept": s.concept.slug,
                        "attempts": s.attempts,
                        "mastery": round(s.p_known, 4),
                        "rise": round(s.rise, 4),
                    }
                    for s in view.stuck
                ],
                "hardest": [
                    {
                        "concept": d.concept.slug,
                        "attempts": d.attempts,
                        "error_rate": round(d.error_rate, 4),
                        "mean_mastery": round(d.mean_mastery, 4),
                        "mastered": d.mastered,
                        "students": d.students,
                    }
                    for d in view.hardest
                ],
            }
        )


class ConceptsApi(APIView):
    @extend_schema(
        responses={200: OpenApiTypes.OBJECT},
        description="The concept graph in the import format (teachers).",
    )
    def get(self, request: Request, slug: str) -> Response:
        return Response(concept_services.concepts_export(course=course_for_teacher(request, slug)))

    @extend_schema(
        request=OpenApiTypes.OBJECT,
        responses={200: OpenApiTypes.OBJECT},
        description="Merge a concept file (the export's format) into the course. All or "
        "nothing: any problem, such as a prerequisite cycle, is a 400 listing every problem.",
    )
    def put(self, request: Request, slug: str) -> Response:
        course = course_for_teacher(request, slug)
        try:
            result = concept_services.concepts_import(
                course=course, data=request.data, by=request.user
            )
        except concept_services.ImportRefused as error:
            raise serializers.ValidationError({"problems": error.problems}) from error
        return Response(
            {"created": result.created, "updated": result.updated, "questions": result.questions}
        )


class PracticeAnswerApi(APIView):
    @extend_schema_serializer(component_name="PracticeAnswerInput")
    class InputSerializer(serializers.Serializer):
        answer = serializers.CharField(
            max_length=2000, help_text="Multiple choice: the 0-based index of the chosen option."
        )

    @extend_schema(request=InputSerializer, responses={201: OpenApiTypes.OBJECT})
    def post(self, request: Request, question_id: int) -> Response:
        question = (
            PracticeQuestion.objects.select_related("concept__course")
            .filter(pk=question_id, status=QuestionStatus.APPROVED)
            .first()
        )
        if question is None:
            raise NotFound("No such question.")
        course = course_for_reader(request, question.concept.course.slug)
        if not is_enrolled(request.user, course):
            raise serializers.ValidationError(
                {
                    "detail": "Only students enrolled in the course can answer; teachers can "
                    "preview questions on the course pages."
                }
            )
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = practice_services.practice_answer_submit(
            question=question, student=request.user, response=data.validated_data["answer"]
        )
        return Response(
            {
                "correct": result.correct,
                "counted": result.counted,
                "right_answer": question.right_answer,
                "explanation": question.explanation,
                "mastery_before": round(result.mastery_before, 4),
                "mastery_after": round(result.mastery_after, 4),
                "newly_mastered": result.newly_mastered,
                "review_due": result.review_due.isoformat() if result.review_due else None,
            },
            status=201,
        )
