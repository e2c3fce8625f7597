"""REST: a student's path (the same facts as the page), the class view, the concept graph as
JSON (export and import), and answering a practice question.

Every body in and out is a serializer of learning/serializers.py, so /api/schema/ describes it."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from courses.access import course_for_reader, course_for_teacher, is_enrolled
from learning.models import PracticeQuestion, QuestionStatus
from learning.selectors import classroom, paths
from learning.serializers import (
    ClassViewSerializer,
    ConceptFileSerializer,
    ConceptImportProblemsSerializer,
    ConceptImportResultSerializer,
    LearningErrorSerializer,
    PracticeAnswerInputSerializer,
    PracticeAnswerResultSerializer,
    StudentPathSerializer,
)
from learning.services import concepts as concept_services
from learning.services import practice as practice_services
from learning.views import path_student

# The refusals every endpoint can answer with, in the shared {"detail": ...} shape.
_REFUSALS = {403: LearningErrorSerializer, 404: LearningErrorSerializer}


class PathApi(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("student", int, description="Teachers only: an enrolled student's id.")
        ],
        responses={200: StudentPathSerializer, **_REFUSALS},
        description="Mastery per concept, the recommended next activity with its reasons, "
        "reviews due today and progress over four weeks: the same as the “My path” page.",
    )
    def get(self, request: Request, slug: str) -> Response:
        course = course_for_reader(user=request.user, slug=slug)
        student = path_student(request, course)
        path = paths.student_path(course=course, student=student)
        return Response(StudentPathSerializer(path, context={"request": request}).data)


class ClassViewApi(APIView):
    @extend_schema(
        responses={200: ClassViewSerializer, **_REFUSALS},
        description="The class's mastery heatmap, stuck students and hardest concepts (teachers).",
    )
    def get(self, request: Request, slug: str) -> Response:
        course = course_for_teacher(user=request.user, slug=slug)
        return Response(ClassViewSerializer(classroom.class_view(course=course)).data)


class ConceptsApi(APIView):
    @extend_schema(
        responses={200: ConceptFileSerializer, **_REFUSALS},
        description="The concept graph in the import format (teachers).",
    )
    def get(self, request: Request, slug: str) -> Response:
        course = course_for_teacher(user=request.user, slug=slug)
        return Response(ConceptFileSerializer(concept_services.concepts_export(course=course)).data)

    @extend_schema(
        request=ConceptFileSerializer,
        responses={
            200: ConceptImportResultSerializer,
            400: ConceptImportProblemsSerializer,
            **_REFUSALS,
        },
        description="Merge a concept file (the export's format) into the course. All or "
        "nothing: any problem, such as a prerequisite cycle, is a 400 listing every problem.",
    )
    def put(self, request: Request, slug: str) -> Response:
        course = course_for_teacher(user=request.user, slug=slug)
        # The service checks the file itself, so that a 400 lists every problem at once.
        try:
            result = concept_services.concepts_import(
                course=course, data=request.data, by=request.user
            )
        except concept_services.ImportRefused as error:
            raise serializers.ValidationError({"problems": error.problems}) from error
        return Response(ConceptImportResultSerializer(result).data)


class PracticeAnswerApi(APIView):
    @extend_schema(
        request=PracticeAnswerInputSerializer,
        responses={201: PracticeAnswerResultSerializer, 400: LearningErrorSerializer, **_REFUSALS},
    )
    def post(self, request: Request, question_id: int) -> Response:
        question = (
            PracticeQuestion.objects.select_related("concept__course")
            .filter(pk=question_id, status=QuestionStatus.APPROVED)
            .first()
        )
        if question is None:
            raise NotFound(_("No such question."))
        course = course_for_reader(user=request.user, slug=question.concept.course.slug)
        if not is_enrolled(request.user, course):
            raise serializers.ValidationError(
                {
                    "detail": _(
                        "Only students enrolled in the course can answer; teachers can "
                        "preview questions on the course pages."
                    )
                }
            )
        data = PracticeAnswerInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = practice_services.practice_answer_submit(
            question=question, student=request.user, response=data.validated_data["answer"]
        )
        return Response(PracticeAnswerResultSerializer(result).data, status=201)
