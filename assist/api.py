"""REST API for teachers' AI rules, exams and usage, and a student's own usage."""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from assist import selectors, services
from assist.models import AIMode, ExamWindow
from assist.policy import student_notice
from courses.access import course_for_reader, course_for_teacher
from courses.models import Course

AI_DENIED = _("Only this course's teachers set how the AI helps in it.")


def _course(request: Request, slug: str) -> Course:
    return course_for_teacher(user=request.user, slug=slug, denied=AI_DENIED)


def _overview(course: Course) -> dict[str, Any]:
    data = services.course_ai_overview(course=course)
    return {
        "mode": data["mode"],
        "lessons": [
            {"id": r["lesson"].pk, "title": r["lesson"].title, "mode": r["mode"]}
            for r in data["lessons"]
        ],
        "assignments": [
            {
                "id": r["assignment"].pk,
                "title": r["assignment"].title,
                "mode": r["mode"],
                "instructions": r["instructions"],
            }
            for r in data["assignments"]
        ],
    }


class CourseAIPolicyApi(APIView):
    """GET the course's rules; POST one rule (the course's, a lesson's or an assignment's)."""

    @extend_schema_serializer(component_name="AIPolicyInput")
    class InputSerializer(serializers.Serializer):
        mode = serializers.ChoiceField(
            choices=AIMode.choices,
            allow_blank=True,
            help_text="off | hints | full; empty on a lesson or assignment: as the course.",
        )
        lesson = serializers.IntegerField(required=False, min_value=1)
        assignment = serializers.IntegerField(required=False, min_value=1)
        instructions = serializers.CharField(
            required=False, allow_blank=True, max_length=2000, help_text="Assignments only."
        )

        def validate(self, data: dict[str, Any]) -> dict[str, Any]:
            if data.get("lesson") and data.get("assignment"):
                raise serializers.ValidationError(_("Give a lesson or an assignment, not both."))
            if not data["mode"] and not data.get("lesson") and not data.get("assignment"):
                raise serializers.ValidationError(_("The course's rule is off, hints or full."))
            if data.get("instructions") and not data.get("assignment"):
                raise serializers.ValidationError(_("Instructions to the AI are per assignment."))
            return data

    @extend_schema_serializer(component_name="AIPolicyOutput")
    class OutputSerializer(serializers.Serializer):
        mode = serializers.CharField()
        lessons = serializers.ListField(child=serializers.DictField())
        assignments = serializers.ListField(child=serializers.DictField())

    @extend_schema(responses=OutputSerializer, summary="The course's AI rules (teachers)")
    def get(self, request: Request, slug: str) -> Response:
        return Response(_overview(_course(request, slug)))

    @extend_schema(
        request=InputSerializer, responses=OutputSerializer, summary="Set one AI rule (teachers)"
    )
    def post(self, request: Request, slug: str) -> Response:
        course = _course(request, slug)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        lesson = (
            get_object_or_404(course.lessons, pk=values["lesson"]) if values.get("lesson") else None
        )
        assignment = (
            get_object_or_404(course.assignments, pk=values["assignment"])
            if values.get("assignment")
            else None
        )
        services.ai_policy_set(
            course=course,
            mode=values["mode"],
            lesson=lesson,
            assignment=assignment,
            instructions=values.get("instructions"),
            by=request.user,
        )
        return Response(_overview(course))


class ExamWindowOutputSerializer(serializers.ModelSerializer):
    assignments: serializers.PrimaryKeyRelatedField[Any] = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True
    )

    class Meta:
        model = ExamWindow
        fields = ("id", "title", "starts_at", "ends_at", "assignments")


class ExamWindowCollectionApi(APIView):
    """GET the course's exams; POST schedules one (AI help off for students during it)."""

    @extend_schema_serializer(component_name="ExamWindowInput")
    class InputSerializer(serializers.Serializer):
        title = serializers.CharField(max_length=120)
        starts_at = serializers.DateTimeField()
        ends_at = serializers.DateTimeField()
        assignments = serializers.ListField(
            child=serializers.IntegerField(min_value=1),
            required=False,
            default=list,
            help_text="Assignment ids; empty: the whole course.",
        )

        def validate(self, data: dict[str, Any]) -> dict[str, Any]:
            if data["ends_at"] <= data["starts_at"]:
                raise serializers.ValidationError(_("An exam must end after it starts."))
            return data

    @extend_schema(responses=ExamWindowOutputSerializer(many=True), summary="Exams (teachers)")
    def get(self, request: Request, slug: str) -> Response:
        course = _course(request, slug)
        windows = ExamWindow.objects.filter(course=course).prefetch_related("assignments")
        return Response(ExamWindowOutputSerializer(windows, many=True).data)

    @extend_schema(
        request=InputSerializer,
        responses={201: ExamWindowOutputSerializer},
        summary="Schedule an exam (teachers)",
    )
    def post(self, request: Request, slug: str) -> Response:
        course = _course(request, slug)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        ids = set(values["assignments"])
        chosen = list(course.assignments.filter(pk__in=ids))
        if len(chosen) != len(ids):
            return Response(
                {"assignments": ["Choose assignments of this course."]},
                status=status.HTTP_400_BAD_REQUEST,
            )
        window = services.exam_window_create(
            course=course,
            title=values["title"],
            starts_at=values["starts_at"],
            ends_at=values["ends_at"],
            assignments=chosen,
            by=request.user,
        )
        return Response(ExamWindowOutputSerializer(window).data, status=status.HTTP_201_CREATED)


class ExamWindowDetailApi(APIView):
    @extend_schema(responses={204: None}, summary="Remove an exam (teachers)")
    def delete(self, request: Request, slug: str, exam_id: int) -> Response:
        course = _course(request, slug)
        window = get_object_or_404(ExamWindow, pk=exam_id, course=course)
        services.exam_window_delete(window=window)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CourseAIUsageApi(APIView):
    @extend_schema_serializer(component_name="AIUsageOutput")
    class OutputSerializer(serializers.Serializer):
        totals = serializers.DictField(child=serializers.IntegerField())
        weekly = serializers.DictField(child=serializers.ListField())
        students = serializers.ListField(child=serializers.DictField())
        refusals = serializers.ListField(child=serializers.DictField())
        per_assignment = serializers.ListField(child=serializers.DictField())

    @extend_schema(responses=OutputSerializer, summary="The course's AI usage (teachers)")
    def get(self, request: Request, slug: str) -> Response:
        course = _course(request, slug)
        usage = selectors.course_usage(course=course)
        return Response(
            {
                "totals": usage["totals"],
                "weekly": usage["chart"],
                "students": [
                    {
                        "username": s["user__username"],
                        "questions": s["questions"],
                        "hints": s["hints"],
                        "tokens": s["tokens"] or 0,
                    }
                    for s in usage["students"]
                ],
                "refusals": usage["refusals"],
                "per_assignment": [
                    {"id": r["assignment"].pk, "requests": r["requests"], "students": r["students"]}
                    for r in usage["per_assignment"]
                ],
            }
        )


class CourseAINoticeApi(APIView):
    """What the AI may do for the caller here: a client shows `notice` instead of a dead button."""

    @extend_schema_serializer(component_name="AINoticeOutput")
    class OutputSerializer(serializers.Serializer):
        notice = serializers.CharField(
            help_text='What to show instead of an ask button; "" if none.'
        )

    @extend_schema(responses=OutputSerializer, summary="The AI rule in force for me")
    def get(self, request: Request, slug: str) -> Response:
        course = course_for_reader(user=request.user, slug=slug)
        assignment = None
        if request.query_params.get("assignment"):
            try:
                assignment_id = int(request.query_params["assignment"])
            except ValueError:
                assignment_id = 0
            assignment = get_object_or_404(course.assignments, pk=assignment_id)
        notice = student_notice(user=request.user, course=course, assignment=assignment)
        return Response({"notice": notice})
