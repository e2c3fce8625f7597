"""REST API for assignments, submissions and reviews. Grading status also streams live over the
notification socket as `submission.status` frames."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from courses.access import course_for_reader, course_for_teacher, is_course_teacher, is_enrolled
from courses.markdown import markdown_errors
from grading import selectors, services
from grading.checks import (
    LIMIT_RANGES,
    code_assignment_check,
    concepts_problem,
    text_assignment_problems,
)
from grading.models import Assignment, Kind, ScorePolicy, Submission

if TYPE_CHECKING:
    from courses.models import Course, Lesson


def _assignment_for_reader(request: Request, assignment_id: int) -> Assignment:
    assignment = Assignment.objects.select_related("course").filter(pk=assignment_id).first()
    if assignment is None:
        raise NotFound(_("No such assignment."))
    course_for_reader(user=request.user, slug=assignment.course.slug)
    if not assignment.is_published and not is_course_teacher(request.user, assignment.course):
        raise NotFound(_("No such assignment."))
    return assignment


def _submission_for_viewer(request: Request, submission_id: int) -> tuple[Submission, bool]:
    submission = (
        Submission.objects.select_related("assignment__course", "student")
        .filter(pk=submission_id)
        .first()
    )
    if submission is None:
        raise NotFound(_("No such submission."))
    teacher = is_course_teacher(request.user, submission.assignment.course)
    if submission.student_id != request.user.pk and not teacher:
        raise NotFound(_("No such submission."))  # as for a missing id: ids are not a directory
    return submission, teacher


@extend_schema_serializer(component_name="Assignment")
class AssignmentOutputSerializer(serializers.ModelSerializer):
    course: serializers.SlugRelatedField[Course] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )
    lesson: serializers.SlugRelatedField[Lesson] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )
    url = serializers.CharField(source="get_absolute_url", read_only=True)
    visible_tests = serializers.SerializerMethodField()

    class Meta:
        model = Assignment
        fields: tuple[str, ...] = (
            "id",
            "course",
            "lesson",
            "title",
            "kind",
            "instructions",
            "due_at",
            "max_score",
            "max_attempts",
            "score_policy",
            "concepts",
            "test_concepts",
            "is_published",
            "starter_code",
            "module_name",
            "visible_tests",
            "rubric",
            "url",
        )

    def get_visible_tests(self, assignment: Assignment) -> list[str]:
        hidden = set(assignment.hidden_tests)
        return [name for name in assignment.test_names if name not in hidden]


@extend_schema_serializer(component_name="AssignmentForTeachers")
class AssignmentTeacherSerializer(AssignmentOutputSerializer):
    class Meta(AssignmentOutputSerializer.Meta):
        fields = (
            *AssignmentOutputSerializer.Meta.fields,
            "test_code",
            "reference_solution",
            "test_names",
            "weights",
            "hidden_tests",
            "limits",
            "reference_answer",
            "grading_version",
        )


class AssignmentListApi(APIView):
    @extend_schema_serializer(component_name="AssignmentInput")
    class InputSerializer(serializers.Serializer):
        title = serializers.CharField(max_length=200)
        kind = serializers.ChoiceField(choices=Kind.choices)
        instructions = serializers.CharField(max_length=50_000)
        lesson = serializers.SlugField(required=False, allow_blank=True)
        due_at = serializers.DateTimeField(required=False, allow_null=True)
        max_score = serializers.DecimalField(
            max_digits=6, decimal_places=2, min_value=Decimal("0.5"), default=Decimal(10)
        )
        max_attempts = serializers.IntegerField(min_value=0, max_value=1000, default=5)
        score_policy = serializers.ChoiceField(
            choices=ScorePolicy.choices, default=ScorePolicy.BEST
        )
        concepts = serializers.ListField(
            child=serializers.SlugField(max_length=60), default=list, max_length=50
        )
        test_concepts = serializers.DictField(
            child=serializers.ListField(child=serializers.SlugField(max_length=60)), default=dict
        )
        is_published = serializers.BooleanField(default=True)
        starter_code = serializers.CharField(default="", allow_blank=True, max_length=100_000)
        module_name = serializers.CharField(default="solution", max_length=60)
        test_code = serializers.CharField(default="", allow_blank=True, max_length=200_000)
        reference_solution = serializers.CharField(default="", allow_blank=True, max_length=100_000)
        weights = serializers.DictField(child=serializers.FloatField(), default=dict)
        hidden_tests = serializers.ListField(child=serializers.CharField(), default=list)
        limits = serializers.DictField(default=dict)
        reference_answer = serializers.CharField(default="", allow_blank=True, max_length=20_000)
        rubric = serializers.ListField(child=serializers.DictField(), default=list)

        def validate_instructions(self, value: str) -> str:
            if errors := markdown_errors(value):
                raise serializers.ValidationError(errors)
            return value

        def validate_concepts(self, value: list[str]) -> list[str]:
            if problem := concepts_problem(self.context["course"], value):
                raise serializers.ValidationError(problem)
            return value

        def validate(self, data: dict[str, Any]) -> dict[str, Any]:
            if data["kind"] == Kind.TEXT:
                data["test_concepts"] = {}
                problems = text_assignment_problems(
                    reference_answer=data["reference_answer"], rubric=data["rubric"]
                )
                if problems:
                    raise serializers.ValidationError(problems)
                data["rubric"] = [
                    {
                        "criterion": str(item["criterion"]).strip(),
                        "points": item["points"],
                        # The facts that must hold and the known wrong claims (grading.evidence).
                        **{
                            key: [text.strip() for text in item[key]]
                            for key in ("facts", "wrong")
                            if item.get(key)
                        },
                    }
                    for item in data["rubric"]
                ]
                return data
            check = code_assignment_check(
                test_code=data["test_code"],
                module_name=data["module_name"],
                reference_solution=data["reference_solution"],
                starter_code=data["starter_code"],
                weights=data["weights"],
                hidden_tests=data["hidden_tests"],
                limits=data["limits"],
                concepts=data["concepts"],
                test_concepts=data["test_concepts"],
            )
            if not check.ok:
                raise serializers.ValidationError({k: [v] for k, v in check.problems.items()})
            data["test_names"] = check.test_names
            return data

    @extend_schema(responses=AssignmentOutputSerializer(many=True))
    def get(self, request: Request, slug: str) -> Response:
        course = course_for_reader(user=request.user, slug=slug)
        teacher = is_course_teacher(request.user, course)
        assignments = course.assignments.select_related("course", "lesson")
        if not teacher:
            assignments = assignments.published()
        serializer = AssignmentTeacherSerializer if teacher else AssignmentOutputSerializer
        return Response(serializer(assignments, many=True).data)

    @extend_schema(
        request=InputSerializer,
        responses={201: AssignmentTeacherSerializer},
        description=f"Limits: any of {', '.join(LIMIT_RANGES)}. A code assignment's reference "
        "solution must pass every test in the sandbox, or the answer is 400 with the reason.",
    )
    def post(self, request: Request, slug: str) -> Response:
        course = course_for_teacher(user=request.user, slug=slug)
        data = self.InputSerializer(data=request.data, context={"course": course})
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        lesson_slug = fields.pop("lesson", "")
        fields["lesson"] = None
        if lesson_slug:
            fields["lesson"] = course.lessons.filter(slug=lesson_slug).first()
            if fields["lesson"] is None:
                raise serializers.ValidationError(
                    {"lesson": [_("No lesson “%(slug)s”.") % {"slug": lesson_slug}]}
                )
        assignment = services.assignment_create(course=course, created_by=request.user, **fields)
        return Response(AssignmentTeacherSerializer(assignment).data, status=201)


class AssignmentDetailApi(APIView):
    @extend_schema(responses=AssignmentOutputSerializer)
    def get(self, request: Request, assignment_id: int) -> Response:
        assignment = _assignment_for_reader(request, assignment_id)
        if is_course_teacher(request.user, assignment.course):
            return Response(AssignmentTeacherSerializer(assignment).data)
        return Response(AssignmentOutputSerializer(assignment).data)


class SubmissionStatusSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()


class SubmissionListApi(APIView):
    @extend_schema_serializer(component_name="SubmissionInput")
    class InputSerializer(serializers.Serializer):
        code = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
        text = serializers.CharField(required=False, allow_blank=True)

        def validate(self, data: dict[str, Any]) -> dict[str, Any]:
            limit = settings.GRADING_MAX_SOURCE_KB * 1024
            for name in ("code", "text"):
                if len(data.get(name, "").encode()) > limit:
                    raise serializers.ValidationError(
                        {
                            name: [
                                _("Larger than %(kb)s KB.") % {"kb": settings.GRADING_MAX_SOURCE_KB}
                            ]
                        }
                    )
            return data

    @extend_schema(responses=SubmissionStatusSerializer(many=True))
    def get(self, request: Request, assignment_id: int) -> Response:
        assignment = _assignment_for_reader(request, assignment_id)
        submissions = selectors.student_submissions(assignment=assignment, student=request.user)
        return Response(
            [selectors.submission_frame(submission) for submission in submissions[:100]]
        )

    @extend_schema(request=InputSerializer, responses={202: SubmissionStatusSerializer})
    def post(self, request: Request, assignment_id: int) -> Response:
        assignment = _assignment_for_reader(request, assignment_id)
        if not is_enrolled(request.user, assignment.course):
            raise PermissionDenied(_("Only enrolled students submit; teachers review."))
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        submission = services.submission_create(
            assignment=assignment, student=request.user, **data.validated_data
        )
        return Response(
            {"id": submission.pk, "status": submission.status}, status=status.HTTP_202_ACCEPTED
        )


class SubmissionDetailApi(APIView):
    @extend_schema(responses=dict)
    def get(self, request: Request, submission_id: int) -> Response:
        submission, teacher = _submission_for_viewer(request, submission_id)
        return Response(selectors.submission_frame(submission, teacher=teacher))


class SubmissionReviewApi(APIView):
    @extend_schema_serializer(component_name="SubmissionReviewInput")
    class InputSerializer(serializers.Serializer):
        score = serializers.DecimalField(
            max_digits=6, decimal_places=2, required=False, allow_null=True, min_value=Decimal(0)
        )
        comment = serializers.CharField(required=False, allow_blank=True, max_length=5000)

    @extend_schema(
        request=InputSerializer,
        responses=dict,
        description="Without a score: approve the automatic grade. With one: override it.",
    )
    def post(self, request: Request, submission_id: int) -> Response:
        submission, teacher = _submission_for_viewer(request, submission_id)
        if not teacher:
            raise PermissionDenied(_("Only this course's teachers review submissions."))
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.submission_review(
            submission=submission,
            reviewer=request.user,
            score=data.validated_data.get("score"),
            comment=data.validated_data.get("comment", ""),
        )
        return Response(selectors.submission_frame(submission, teacher=True))


class RegradeRequestApi(APIView):
    @extend_schema_serializer(component_name="RegradeRequestInput")
    class InputSerializer(serializers.Serializer):
        reason = serializers.CharField(max_length=2000)

    @extend_schema(request=InputSerializer, responses=dict)
    def post(self, request: Request, submission_id: int) -> Response:
        submission, _teaching = _submission_for_viewer(request, submission_id)
        if submission.student_id != request.user.pk:
            raise PermissionDenied(_("Only the student who submitted can ask for a regrade."))
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.submission_regrade_request(
            submission=submission, reason=data.validated_data["reason"]
        )
        return Response(selectors.submission_frame(submission))


class AssignmentRegradeApi(APIView):
    @extend_schema(request=None, responses={202: dict})
    def post(self, request: Request, assignment_id: int) -> Response:
        assignment = _assignment_for_reader(request, assignment_id)
        if not is_course_teacher(request.user, assignment.course):
            raise PermissionDenied(_("Only this course's teachers can regrade."))
        queued = services.submissions_regrade(assignment=assignment)
        return Response({"queued": queued}, status=status.HTTP_202_ACCEPTED)


class GradebookApi(APIView):
    @extend_schema(responses=dict)
    def get(self, request: Request, slug: str) -> Response:
        course = course_for_teacher(user=request.user, slug=slug)
        book = selectors.gradebook(course=course)
        return Response(
            {
                "assignments": [
                    {"id": a.pk, "title": a.title, "max_score": float(a.max_score)}
                    for a in book.assignments
                ],
                "students": [
                    {
                        "username": student.username,
                        "scores": [
                            None if s is None or s.score is None else float(s.score)
                            for s in counted
                        ],
                        "total": float(total),
                    }
                    for student, counted, total in book.rows
                ],
            }
        )
