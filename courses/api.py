"""REST API for courses, modules, lessons and enrollment. One APIView per operation."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from courses import access, selectors, services
from courses.markdown import markdown_errors, render_markdown
from courses.models import Course, Lesson, Module
from courses.slugs import course_slug_problem, lesson_slug_problem, slug_or_from_title

if TYPE_CHECKING:
    from rest_framework.permissions import _SupportsHasPermission  # a stub-only protocol


_LANGUAGE_CHOICE_ERROR = (
    '"{input}" is not a course language; use one of: '
    + ", ".join(code for code, _ in settings.LANGUAGES)
    + "."
)


def _validate_markdown(value: str) -> None:
    errors = markdown_errors(value)
    if errors:
        raise serializers.ValidationError(errors)


class CourseOutputSerializer(serializers.ModelSerializer):
    lesson_count = serializers.IntegerField(read_only=True, required=False)
    url = serializers.CharField(source="get_absolute_url", read_only=True)

    class Meta:
        model = Course
        fields: tuple[str, ...] = (
            "slug",
            "title",
            "summary",
            "description",
            "is_published",
            "language",
            "lesson_count",
            "url",
        )


class CourseCollectionApi(APIView):
    """GET lists published courses (anyone); POST creates one (teachers)."""

    @extend_schema_serializer(component_name="CourseCollectionFilter")
    class FilterSerializer(serializers.Serializer):
        q = serializers.CharField(required=False, allow_blank=True, max_length=100)

    @extend_schema_serializer(component_name="CourseCollectionInput")
    class InputSerializer(serializers.Serializer):
        title = serializers.CharField(max_length=200)
        slug = serializers.SlugField(max_length=80, required=False, allow_blank=True)
        summary = serializers.CharField(max_length=300)
        description = serializers.CharField(
            required=False, allow_blank=True, default="", validators=[_validate_markdown]
        )
        language = serializers.ChoiceField(
            choices=settings.LANGUAGES,
            required=False,
            default="en",
            help_text="The language the course is taught in; retrieval and the tutor follow it.",
            error_messages={"invalid_choice": _LANGUAGE_CHOICE_ERROR},
        )

        def validate(self, data: dict[str, Any]) -> dict[str, Any]:
            data["slug"] = slug_or_from_title(data.get("slug"), data["title"])
            problem = course_slug_problem(data["slug"])
            if problem:
                raise serializers.ValidationError({"slug": [problem]})
            return data

    def get_permissions(self) -> Sequence[_SupportsHasPermission]:
        return [AllowAny()] if self.request.method == "GET" else super().get_permissions()

    @extend_schema(
        responses=CourseOutputSerializer(many=True),
        summary="Published courses",
        parameters=[FilterSerializer],
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        courses = selectors.catalog(query=filters.validated_data.get("q", ""))
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(courses, request, view=self)
        return paginator.get_paginated_response(CourseOutputSerializer(page, many=True).data)

    @extend_schema(
        request=InputSerializer,
        responses={201: CourseOutputSerializer},
        summary="Create a course (teachers)",
    )
    def post(self, request: Request) -> Response:
        user = request.user
        assert isinstance(user, User)  # the default permission, IsAuthenticated, guards POST
        if not user.can_author_courses:
            raise PermissionDenied(_("Only teachers can create courses."))
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        course = services.course_create(author=user, **data.validated_data)
        return Response(CourseOutputSerializer(course).data, status=status.HTTP_201_CREATED)


class LessonSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Lesson
        fields = ("slug", "title", "position")


class ModuleOutputSerializer(serializers.ModelSerializer):
    lessons = LessonSummarySerializer(many=True, read_only=True)

    class Meta:
        model = Module
        fields = ("id", "title", "summary", "position", "lessons")


class CourseDetailApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema_serializer(component_name="CourseDetailOutput")
    class OutputSerializer(CourseOutputSerializer):
        modules = ModuleOutputSerializer(many=True, read_only=True)

        class Meta(CourseOutputSerializer.Meta):
            fields = (*CourseOutputSerializer.Meta.fields, "modules")

    @extend_schema(responses=OutputSerializer, summary="A course and its outline")
    def get(self, request: Request, slug: str) -> Response:
        course = access.course_for_viewer(user=request.user, slug=slug)
        course = Course.objects.prefetch_related("modules__lessons").get(pk=course.pk)
        return Response(self.OutputSerializer(course).data)


class CoursePublishApi(APIView):
    @extend_schema_serializer(component_name="CoursePublishInput")
    class InputSerializer(serializers.Serializer):
        published = serializers.BooleanField()

    @extend_schema(
        request=InputSerializer,
        responses=CourseOutputSerializer,
        summary="Publish or unpublish a course (its teachers)",
    )
    def post(self, request: Request, slug: str) -> Response:
        course = access.course_for_teacher(user=request.user, slug=slug)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        course = services.course_set_published(course=course, **data.validated_data)
        return Response(CourseOutputSerializer(course).data)


class CourseEnrollApi(APIView):
    @extend_schema_serializer(component_name="CourseEnrollOutput")
    class OutputSerializer(serializers.Serializer):
        course = serializers.CharField()
        enrolled = serializers.BooleanField()

    @extend_schema(request=None, responses={201: OutputSerializer}, summary="Enroll in a course")
    def post(self, request: Request, slug: str) -> Response:
        course = access.course_for_viewer(user=request.user, slug=slug)
        services.enrollment_create(user=request.user, course=course)
        return Response({"course": course.slug, "enrolled": True}, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: OutputSerializer}, summary="Leave a course")
    def delete(self, request: Request, slug: str) -> Response:
        course = access.course_for_viewer(user=request.user, slug=slug)
        services.enrollment_delete(user=request.user, course=course)
        return Response({"course": course.slug, "enrolled": False})


class CourseStudentsApi(APIView):
    @extend_schema_serializer(component_name="CourseStudentsOutput")
    class OutputSerializer(serializers.Serializer):
        username = serializers.CharField(source="user.username")
        name = serializers.CharField(source="user.display_name")
        enrolled_at = serializers.DateTimeField(source="created_at")
        lessons_completed = serializers.IntegerField()

    @extend_schema(responses=OutputSerializer(many=True), summary="Enrolled students (teachers)")
    def get(self, request: Request, slug: str) -> Response:
        course = access.course_for_teacher(user=request.user, slug=slug)
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(selectors.course_roster(course=course), request, self)
        return paginator.get_paginated_response(self.OutputSerializer(page, many=True).data)


class ModuleCreateApi(APIView):
    @extend_schema_serializer(component_name="ModuleCreateInput")
    class InputSerializer(serializers.Serializer):
        title = serializers.CharField(max_length=200)
        summary = serializers.CharField(
            max_length=300, required=False, allow_blank=True, default=""
        )

    @extend_schema(
        request=InputSerializer,
        responses={201: ModuleOutputSerializer},
        summary="Add a module (teachers)",
    )
    def post(self, request: Request, slug: str) -> Response:
        course = access.course_for_teacher(user=request.user, slug=slug)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        module = services.module_create(course=course, **data.validated_data)
        return Response(ModuleOutputSerializer(module).data, status=status.HTTP_201_CREATED)


class LessonOutputSerializer(serializers.ModelSerializer):
    module = serializers.IntegerField(source="module_id")
    html = serializers.SerializerMethodField()
    url = serializers.CharField(source="get_absolute_url", read_only=True)

    class Meta:
        model = Lesson
        fields = ("slug", "title", "module", "position", "body", "html", "url", "updated_at")

    def get_html(self, lesson: Lesson) -> str:
        return str(render_markdown(lesson.body))


class LessonCollectionApi(APIView):
    """GET: the lessons in reading order (enrolled students, teachers). POST: add one (teachers)."""

    @extend_schema_serializer(component_name="LessonCollectionInput")
    class InputSerializer(serializers.Serializer):
        module = serializers.IntegerField()
        title = serializers.CharField(max_length=200)
        slug = serializers.SlugField(max_length=80, required=False, allow_blank=True)
        body = serializers.CharField(validators=[_validate_markdown])

    @extend_schema(responses=LessonSummarySerializer(many=True), summary="Lessons of a course")
    def get(self, request: Request, slug: str) -> Response:
        course = access.course_for_reader(user=request.user, slug=slug)
        lessons = selectors.lesson_sequence(course=course)
        return Response(LessonSummarySerializer(lessons, many=True).data)

    @extend_schema(
        request=InputSerializer,
        responses={201: LessonOutputSerializer},
        summary="Add a lesson (teachers)",
    )
    def post(self, request: Request, slug: str) -> Response:
        course = access.course_for_teacher(user=request.user, slug=slug)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        module = course.modules.filter(pk=values["module"]).first()
        if module is None:
            raise serializers.ValidationError({"module": [_("No such module in this course.")]})
        lesson_slug = slug_or_from_title(values.get("slug"), values["title"])
        problem = lesson_slug_problem(lesson_slug, course=course)
        if problem:
            raise serializers.ValidationError({"slug": [problem]})
        lesson = services.lesson_create(
            module=module, title=values["title"], slug=lesson_slug, body=values["body"]
        )
        return Response(LessonOutputSerializer(lesson).data, status=status.HTTP_201_CREATED)


class LessonDetailApi(APIView):
    @extend_schema(responses=LessonOutputSerializer, summary="One lesson, Markdown and HTML")
    def get(self, request: Request, slug: str, lesson_slug: str) -> Response:
        course = access.course_for_reader(user=request.user, slug=slug)
        lesson = get_object_or_404(Lesson, course=course, slug=lesson_slug)
        return Response(LessonOutputSerializer(lesson).data)
