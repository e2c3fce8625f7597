"""REST API for tutor conversations, ratings and quotas. Asking streams over the websocket."""

from __future__ import annotations

from django.db.models import Count
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from assist.budget import budget_state
from courses.access import course_for_reader, course_for_viewer, is_course_teacher
from courses.models import Lesson
from tutor import selectors, services
from tutor.models import Conversation, Message


@extend_schema_serializer(component_name="TutorConversation")
class ConversationOutputSerializer(serializers.ModelSerializer):
    student = serializers.CharField(source="student.username")
    lesson: serializers.SlugRelatedField[Lesson] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )
    messages = serializers.IntegerField(source="message_count", read_only=True)
    url = serializers.CharField(source="get_absolute_url", read_only=True)

    class Meta:
        model = Conversation
        fields: tuple[str, ...] = (
            "id",
            "title",
            "student",
            "lesson",
            "messages",
            "created_at",
            "updated_at",
            "url",
        )


@extend_schema_serializer(component_name="TutorMessage")
class MessageOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Message
        fields = (
            "id",
            "role",
            "kind",
            "mode",
            "content",
            "status",
            "covered",
            "citations",
            "quotes",
            "support",
            "checks",
            "error",
            "rating",
            "rating_comment",
            "prompt_tokens",
            "completion_tokens",
            "first_token_ms",
            "created_at",
        )


class ConversationListApi(APIView):
    """The caller's conversations in a course; a course's teachers may pass ?student=all|<id>."""

    @extend_schema(responses=ConversationOutputSerializer(many=True))
    def get(self, request: Request, slug: str) -> Response:
        course = course_for_viewer(user=request.user, slug=slug)
        who = request.query_params.get("student", "")
        if who and is_course_teacher(request.user, course):
            conversations = selectors.course_conversations(
                course=course, student_id=int(who) if who.isdigit() else None
            )
        else:
            course = course_for_reader(user=request.user, slug=slug)
            conversations = selectors.student_conversations(user=request.user, course=course)
        conversations = conversations.annotate(
            message_count=Count("messages", distinct=True)
        ).order_by("-updated_at", "-id")
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(conversations, request, view=self)
        return paginator.get_paginated_response(ConversationOutputSerializer(page, many=True).data)


class ConversationDetailApi(APIView):
    @extend_schema_serializer(component_name="TutorConversationDetail")
    class OutputSerializer(ConversationOutputSerializer):
        transcript = MessageOutputSerializer(source="messages", many=True)

        class Meta(ConversationOutputSerializer.Meta):
            fields = (*ConversationOutputSerializer.Meta.fields, "transcript")

    @extend_schema(responses=OutputSerializer)
    def get(self, request: Request, conversation_id: int) -> Response:
        conversation = (
            Conversation.objects.select_related("course", "student", "lesson")
            .annotate(message_count=Count("messages"))
            .filter(pk=conversation_id)
            .first()
        )
        # The owner and the course's teachers; anybody else gets the answer for a missing id.
        if conversation is None or not (
            conversation.student_id == request.user.pk
            or is_course_teacher(request.user, conversation.course)
        ):
            raise NotFound(_("No such conversation."))
        return Response(self.OutputSerializer(conversation).data)


class MessageRatingApi(APIView):
    @extend_schema_serializer(component_name="TutorRatingInput")
    class InputSerializer(serializers.Serializer):
        helpful = serializers.BooleanField()
        comment = serializers.CharField(max_length=1000, required=False, allow_blank=True)

    @extend_schema(request=InputSerializer, responses=MessageOutputSerializer)
    def post(self, request: Request, message_id: int) -> Response:
        message = Message.objects.filter(
            pk=message_id, conversation__student_id=request.user.pk
        ).first()
        if message is None:
            raise NotFound(_("No such message of yours."))
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.message_rate(message=message, **data.validated_data)
        return Response(MessageOutputSerializer(message).data)


class QuotaApi(APIView):
    class OutputSerializer(serializers.Serializer):
        unlimited = serializers.BooleanField()
        available = serializers.IntegerField()
        capacity = serializers.IntegerField()
        refill_seconds = serializers.IntegerField()
        next_question_at = serializers.DateTimeField(allow_null=True)

    @extend_schema(responses=OutputSerializer)
    def get(self, request: Request) -> Response:
        return Response(budget_state(user=request.user).as_dict())
