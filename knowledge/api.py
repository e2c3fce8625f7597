"""REST API for course material (upload, status, delete) and for searching and asking a course's
knowledge base. Moved from courses/api.py: same URLs, names and OpenAPI components."""

from __future__ import annotations

import time

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from assist.budget import QuotaExceeded, busy_release, busy_take, charge, refund
from assist.models import Outcome
from assist.policy import Purpose, decide
from assist.usage import usage_record
from courses.access import course_for_reader, course_for_teacher, is_course_teacher
from knowledge import services
from knowledge.models import Material, MaterialStatus


class MaterialOutputSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="original_name")
    chunks = serializers.IntegerField(source="chunk_count")
    course = serializers.CharField(source="course.slug")

    class Meta:
        model = Material
        fields = (
            "id",
            "course",
            "name",
            "kind",
            "size",
            "status",
            "progress",
            "chunks",
            "hidden_chars",
            "error",
            "created_at",
        )


class MaterialCollectionApi(APIView):
    parser_classes = [MultiPartParser]

    @extend_schema(
        request={
            "multipart/form-data": {
                "type": "object",
                "properties": {"file": {"type": "string", "format": "binary"}},
            }
        },
        responses={202: MaterialOutputSerializer, 400: MaterialOutputSerializer},
        summary="Upload course material (its teachers)",
    )
    def post(self, request: Request, slug: str) -> Response:
        course = course_for_teacher(user=request.user, slug=slug)
        upload = request.FILES.get("file")
        if upload is None:
            raise serializers.ValidationError(
                {"file": [_("Send the file as multipart field “file”.")]}
            )
        material = services.material_create(course=course, uploaded_by=request.user, upload=upload)
        data = MaterialOutputSerializer(material).data
        if material.status == MaterialStatus.FAILED:
            return Response(
                {**data, "detail": material.error_text}, status=status.HTTP_400_BAD_REQUEST
            )
        return Response(data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses=MaterialOutputSerializer(many=True), summary="A course's material")
    def get(self, request: Request, slug: str) -> Response:
        course = course_for_teacher(user=request.user, slug=slug)
        return Response(MaterialOutputSerializer(course.materials.all(), many=True).data)


class MaterialDetailApi(APIView):
    @extend_schema(responses=MaterialOutputSerializer, summary="Ingestion status of a material")
    def get(self, request: Request, material_id: int) -> Response:
        material = Material.objects.select_related("course").filter(pk=material_id).first()
        if material is None or not is_course_teacher(request.user, material.course):
            raise NotFound(_("No material %(id)s.") % {"id": material_id})
        return Response(MaterialOutputSerializer(material).data)

    @extend_schema(responses={204: None}, summary="Delete a material and its passages")
    def delete(self, request: Request, material_id: int) -> Response:
        material = Material.objects.select_related("course").filter(pk=material_id).first()
        if material is None or not is_course_teacher(request.user, material.course):
            raise NotFound(_("No material %(id)s.") % {"id": material_id})
        services.material_delete(material=material)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SearchHitSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    text = serializers.CharField()
    score = serializers.FloatField()
    material = serializers.CharField(help_text="The material's file name or the lesson title.")
    location = serializers.CharField(help_text="Page and/or heading, for citations.")
    url = serializers.CharField()
    page = serializers.IntegerField(allow_null=True)
    heading = serializers.CharField()
    kind = serializers.ChoiceField(choices=["material", "lesson"])


class CitationSerializer(serializers.Serializer):
    n = serializers.IntegerField()
    # The API's "source" key; DRF's metaclass moves declared fields off the class, so this does
    # not shadow Field.source at run time, but the stubs see a class attribute.
    source = serializers.CharField()  # type: ignore[assignment]
    location = serializers.CharField()
    url = serializers.CharField()
    text = serializers.CharField()


class CourseSearchApi(APIView):
    @extend_schema_serializer(component_name="CourseSearchFilter")
    class FilterSerializer(serializers.Serializer):
        q = serializers.CharField(max_length=500)
        k = serializers.IntegerField(min_value=1, max_value=50, default=5)

    @extend_schema_serializer(component_name="CourseSearchOutput")
    class OutputSerializer(serializers.Serializer):
        query = serializers.CharField()
        results = SearchHitSerializer(many=True)

    @extend_schema(
        parameters=[FilterSerializer],
        responses=OutputSerializer,
        summary="Hybrid search in a course's material",
    )
    def get(self, request: Request, slug: str) -> Response:
        from knowledge.search import search

        course = course_for_reader(user=request.user, slug=slug)
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        hits = search(
            course_id=course.pk, query=filters.validated_data["q"], k=filters.validated_data["k"]
        )
        return Response(
            {"query": filters.validated_data["q"], "results": [hit.as_dict() for hit in hits]}
        )


class QuoteSerializer(serializers.Serializer):
    n = serializers.IntegerField(help_text="The citation number of the passage it comes from.")
    text = serializers.CharField(help_text="Verbatim from the passage.")
    before = serializers.CharField(help_text="The passage's text just before the quote.")
    after = serializers.CharField(help_text="The passage's text just after the quote.")
    source = serializers.CharField()  # type: ignore[assignment]
    location = serializers.CharField()
    url = serializers.CharField()
    chunk = serializers.IntegerField(allow_null=True)
    score = serializers.FloatField()


class SentenceSupportSerializer(serializers.Serializer):
    text = serializers.CharField()
    claim = serializers.BooleanField(help_text="False for questions and notes (not checked).")
    supported = serializers.BooleanField()
    score = serializers.FloatField(help_text="Best cosine against a sentence of the passages.")
    missing = serializers.ListField(
        child=serializers.CharField(), help_text="Terms that matter, absent from the passages."
    )
    withheld = serializers.BooleanField(help_text="Left out of `answer` (strict course).")


class AnswerSupportSerializer(serializers.Serializer):
    score = serializers.FloatField(
        allow_null=True, help_text="Share of the answer's claims the passages support."
    )
    reliable = serializers.BooleanField(help_text="False when most claims are unsupported.")
    sentences = SentenceSupportSerializer(many=True)


class CourseAskApi(APIView):
    @extend_schema_serializer(component_name="CourseAskInput")
    class InputSerializer(serializers.Serializer):
        question = serializers.CharField(max_length=2000, trim_whitespace=True)

    @extend_schema_serializer(component_name="CourseAskOutput")
    class OutputSerializer(serializers.Serializer):
        answer = serializers.CharField()
        citations = CitationSerializer(many=True)
        covered = serializers.BooleanField(help_text="False when the material has no answer.")
        quotes = QuoteSerializer(many=True, help_text="The material's own answering sentences.")
        support = AnswerSupportSerializer()
        usage = serializers.DictField(child=serializers.IntegerField())

    @extend_schema(
        request=InputSerializer,
        responses=OutputSerializer,
        summary="Answer a question from the course material",
    )
    def post(self, request: Request, slug: str) -> Response:
        from asgiref.sync import async_to_sync

        from inference.backends import InferenceError
        from knowledge.rag import answer

        course = course_for_reader(user=request.user, slug=slug)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        # The AI-assist seam decides what the model may do here, as for every other path to it.
        decision = decide(user=request.user, purpose=Purpose.RAG_ANSWER, course=course)
        if not decision.allowed:
            raise PermissionDenied(
                decision.reason or _("AI answers are not available for this course.")
            )
        # The same door as the tutor: one answer at a time per student, paid from the same budget.
        if not busy_take(user=request.user):
            return Response(
                {"detail": _("An answer of yours is still being written; wait for it first.")},
                status=status.HTTP_429_TOO_MANY_REQUESTS,
            )
        try:
            try:
                charge(user=request.user, decision=decision, course_id=course.pk)
            except QuotaExceeded as exc:
                return Response({"detail": str(exc)}, status=status.HTTP_429_TOO_MANY_REQUESTS)
            started = time.monotonic()
            try:
                result = async_to_sync(answer)(
                    course_id=course.pk,
                    question=data.validated_data["question"],
                    filter_text=decision.filter_text,
                    strict=course.tutor_strict,
                    priority=decision.priority,
                    language=course.language,
                )
            except InferenceError as error:
                refund(user=request.user, decision=decision)  # the model failed, not the student
                usage_record(
                    user=request.user,
                    purpose=Purpose.RAG_ANSWER,
                    decision=decision,
                    outcome=Outcome.FAILED,
                    course_id=course.pk,
                )
                return Response({"detail": str(error)}, status=status.HTTP_503_SERVICE_UNAVAILABLE)
        finally:
            busy_release(user=request.user)
        usage = result["usage"]
        assert isinstance(usage, dict)
        usage_record(
            user=request.user,
            purpose=Purpose.RAG_ANSWER,
            decision=decision,
            outcome=Outcome.ANSWERED if result["covered"] else Outcome.NOT_COVERED,
            course_id=course.pk,
            prompt_tokens=usage["prompt_tokens"],
            completion_tokens=usage["completion_tokens"],
            latency_ms=round((time.monotonic() - started) * 1000),
        )
        # `answer` already applied the policy's guard (filter_text) before checking sentences.
        return Response(result)
