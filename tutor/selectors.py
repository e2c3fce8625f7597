"""Reads of tutor data: a student's conversations, transcripts, and what teachers review."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count, Q, QuerySet

from assist.budget import budget_state
from courses.models import Course, Lesson
from knowledge.rag import MAX_QUESTION_CHARS
from tutor.models import Conversation, Message, Mode
from tutor.rendering import message_context

TOPIC_WINDOW = 2000  # the most recent answers a course's "most asked topics" are counted over


def student_conversations(*, user: Any, course: Course) -> QuerySet[Conversation]:
    return Conversation.objects.filter(course=course, student=user).select_related("lesson")


def course_conversations(
    *, course: Course, student_id: int | None = None, not_helpful: bool = False
) -> QuerySet[Conversation]:
    conversations = (
        Conversation.objects.filter(course=course)
        .select_related("student", "lesson")
        .annotate(
            questions=Count(
                "messages",
                filter=Q(messages__role=Message.Role.STUDENT),
            ),
            not_helpful=Count("messages", filter=Q(messages__rating=Message.Rating.NOT_HELPFUL)),
        )
    )
    conversations = conversations.order_by("-updated_at", "-id")  # GROUP BY drops Meta.ordering
    if student_id:
        conversations = conversations.filter(student_id=student_id)
    if not_helpful:
        conversations = conversations.filter(not_helpful__gt=0)
    return conversations


def students_with_conversations(*, course: Course) -> QuerySet[Any]:
    return (
        get_user_model()
        .objects.filter(tutor_conversations__course=course)
        .distinct()
        .order_by("username")
    )


def transcript(*, conversation: Conversation) -> list[dict[str, Any]]:
    """Each message with its rendered body, ready for tutor/_message.html."""
    messages = conversation.messages.select_related("conversation__course", "conversation__student")
    return [message_context(message) for message in messages]


def not_helpful_answers(*, course: Course) -> QuerySet[Message]:
    return (
        Message.objects.filter(conversation__course=course, rating=Message.Rating.NOT_HELPFUL)
        .select_related("conversation__student", "conversation__course")
        .order_by("-rated_at")
    )


def course_answer_ratings(*, course_id: int) -> dict[str, int]:
    """How students rated the course's tutor answers (for the course's AI usage page)."""
    counts = Message.objects.filter(conversation__course_id=course_id).aggregate(
        helpful=Count("pk", filter=Q(rating=Message.Rating.HELPFUL)),
        not_helpful=Count("pk", filter=Q(rating=Message.Rating.NOT_HELPFUL)),
    )
    return {"helpful": counts["helpful"], "not_helpful": counts["not_helpful"]}


def uncovered_questions(*, course: Course) -> QuerySet[Message]:
    """Student questions the material did not answer: what the course might be missing."""
    return (
        Message.objects.filter(
            conversation__course=course,
            role=Message.Role.TUTOR,
            kind=Message.Kind.ANSWER,
            covered=False,
        )
        .select_related("conversation__student", "conversation__course")
        .order_by("-id")
    )


@dataclass(frozen=True)
class Topic:
    source: str
    location: str
    url: str
    questions: int


def top_topics(*, course: Course, limit: int = 10) -> list[Topic]:
    """The sections of the material that answered the most questions (their first citation)."""
    recent = (
        Message.objects.filter(
            conversation__course=course,
            role=Message.Role.TUTOR,
            kind=Message.Kind.ANSWER,
            covered=True,
        )
        .order_by("-id")
        .values_list("citations", flat=True)[:TOPIC_WINDOW]
    )
    counts: Counter[tuple[str, str, str]] = Counter()
    for citations in recent:
        if citations:
            first = citations[0]
            counts[(first["source"], first["location"], first["url"])] += 1
    return [Topic(s, loc, url, n) for (s, loc, url), n in counts.most_common(limit)]


LOW_SUPPORT = 0.5  # below this share of supported sentences an answer is "low support"


@dataclass(frozen=True)
class SupportTopic:
    source: str
    location: str
    url: str
    answers: int
    low: int  # answers whose support share is below LOW_SUPPORT
    mean: float  # mean support share of the topic's checked answers
    latest: Message | None  # the most recent low-support answer, to read


def low_support_topics(*, course: Course, limit: int = 10) -> list[SupportTopic]:
    """Per section of the material (an answer's first citation): how well answers held up.

    Topics with low-support answers come first, worst mean first: where the tutor's
    explanations most often said what the material does not, and the teacher should look.
    """
    recent = (
        Message.objects.filter(
            conversation__course=course,
            role=Message.Role.TUTOR,
            covered=True,
            support__isnull=False,
        )
        .select_related("conversation__course", "conversation__student")
        .order_by("-id")[:TOPIC_WINDOW]
    )
    groups: dict[tuple[str, str, str], list[Message]] = {}
    for message in recent:
        if message.citations:
            first = message.citations[0]
            key = (first["source"], first["location"], first["url"])
            groups.setdefault(key, []).append(message)
    topics = []
    for (source, location, url), messages in groups.items():
        low = [m for m in messages if (m.support or 0.0) < LOW_SUPPORT]
        if not low:
            continue
        mean = sum(m.support or 0.0 for m in messages) / len(messages)
        topics.append(SupportTopic(source, location, url, len(messages), len(low), mean, low[0]))
    topics.sort(key=lambda t: (-t.low, t.mean))
    return topics[:limit]


def tutor_panel(
    *,
    user: object,
    course: Course,
    lesson: Lesson | None = None,
    conversation: Conversation | None = None,
) -> dict[str, object]:
    """What tutor/_panel.html needs; the lesson page includes the panel with this too."""
    return {
        "course": course,
        "lesson": lesson,
        "conversation": conversation,
        "transcript": transcript(conversation=conversation) if conversation else [],
        "quota": budget_state(user=user),
        "modes": Mode.choices,
        "max_question_chars": MAX_QUESTION_CHARS,
    }
