"""The tutor socket: /ws/courses/<slug>/tutor/.

JSON frames for programs (see the README, "Tutor protocol"); a browser page connects with
`?format=html` and gets the same events as HTMX out-of-band fragments. The consumer only
translates frames: services.turn_start / reply_stream / turn_finish do the work.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from assist.budget import QuotaExceeded, budget_state
from core.consumers import CLOSE_FORBIDDEN, JsonFrameConsumer
from courses.access import course_for_reader
from courses.models import Course, Lesson
from inference.llm import InferenceError, StreamStats
from knowledge.rag import warm_up
from knowledge.support import SentenceSupport
from tutor import rendering
from tutor.models import Message
from tutor.services import PreparedTurn, TutorError, reply_stream, turn_finish, turn_start

logger = logging.getLogger(__name__)

MAX_CLIENT_FRAME = 16 * 1024  # a 2,000-character question plus HTMX's headers fits easily
HTML_REFRESH_SECONDS = 0.1  # re-render a growing answer at most this often in HTML mode


@database_sync_to_async
def _course_for(user: Any, slug: str) -> Course | None:
    """The course if `user` may read its lessons, by the same lookup as the pages and the API."""
    try:
        return course_for_reader(user=user, slug=slug)
    except (Http404, PermissionDenied):
        return None


@database_sync_to_async
def _lesson_for(course: Course, slug: str) -> Lesson | None:
    return Lesson.objects.filter(course=course, slug=slug).first()


_warmed_courses: set[int] = set()
_background: set[asyncio.Task[None]] = set()  # strong references until the tasks finish


def _background_cleanup() -> None:
    _background.difference_update([task for task in _background if task.done()])


def _warm_up(*, course_id: int) -> None:
    try:
        warm_up(course_id=course_id)
    except Exception:  # the first question will say what is wrong, with its own error frame
        logger.warning("Warming up the tutor for course %s failed", course_id, exc_info=True)


def _conversation_id(value: Any) -> int | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool):
        raise ValueError
    return int(value)


def _support_frame(turn: PreparedTurn, check: SentenceSupport) -> dict[str, Any]:
    return {
        "type": "support",
        "message": turn.reply.pk,
        **check.as_dict(),
        "withheld": turn.strict and not check.supported,
    }


class TutorConsumer(JsonFrameConsumer):
    max_frame = MAX_CLIENT_FRAME
    bad_frame_message = gettext_lazy("Frames are JSON objects with a type: ask, stop or ping.")
    task: asyncio.Task[None] | None = None

    async def connect(self) -> None:
        self.user = await self.signed_in_user()
        if self.user is None:
            return
        course = await _course_for(self.user, self.scope["url_route"]["kwargs"]["slug"])
        if course is None:
            # Unknown course, draft, or not enrolled: the same answer, so ids cannot be probed.
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.course = course
        query = parse_qs(self.scope.get("query_string", b"").decode())
        self.html = query.get("format", ["json"])[0] == "html"
        self.page_lesson_slug = query.get("lesson", [""])[0]
        await self.accept()
        if settings.LLM_WARM_UP and course.pk not in _warmed_courses:
            _warmed_courses.add(course.pk)
            # Not awaited: the socket is usable at once; the first answer finds models loaded.
            warm = database_sync_to_async(_warm_up, thread_sensitive=False)
            _background.add(asyncio.create_task(warm(course_id=course.pk)))
            _background_cleanup()
        quota = await database_sync_to_async(budget_state)(user=self.user)
        if self.html:
            await self.send(rendering.quota_fragment(quota))
        else:
            await self.send_json({"type": "ready", "course": course.slug, "quota": quota.as_dict()})

    async def disconnect(self, code: int) -> None:
        if self.task and not self.task.done():
            self._stop_generation()
            # Let the task record the stopped answer and free the student's slot before the
            # consumer goes away; the engine drops the request as soon as the stream is closed.
            await asyncio.wait({self.task}, timeout=5)

    async def frame_received(self, frame: dict[str, Any]) -> None:
        kind = frame.get("type", "ask")
        if kind == "ping":
            await self.send_json({"type": "pong"})
        elif kind == "stop":
            if self.task and not self.task.done():
                self._stop_generation()
            elif not self.html:
                await self.send_error(
                    "not_generating", _("There is no answer in progress to stop.")
                )
        elif kind == "ask":
            await self._ask(frame)
        else:
            await self.send_error(
                "bad_frame", _("Unknown frame type %(type)r.") % {"type": str(kind)[:40]}
            )

    def _stop_generation(self) -> None:
        # Once: a second stop (a double click, then a disconnect) must not interrupt the task
        # while it stores the stopped answer and sends its "done" frame.
        if self.task and not self.task.cancelling():
            self.task.cancel()

    async def _ask(self, frame: dict[str, Any]) -> None:
        if self.task and not self.task.done():
            await self.send_error(
                "busy", _("The tutor is still answering; wait for it or stop it."), busy=True
            )
            return
        question = frame.get("question", "")
        mode = frame.get("mode") or "explain"
        try:
            conversation_id = _conversation_id(frame.get("conversation"))
        except (TypeError, ValueError):
            await self.send_error(
                "bad_frame", _("conversation must be a conversation id (a number).")
            )
            return
        if not isinstance(question, str) or not isinstance(mode, str):
            await self.send_error("bad_frame", _("question and mode must be strings."))
            return
        lesson = None
        lesson_slug = frame.get("lesson") or self.page_lesson_slug
        if lesson_slug:
            lesson = await _lesson_for(self.course, str(lesson_slug)[:200])
            if lesson is None:
                await self.send_error(
                    "lesson_not_found", _("That lesson is not part of this course.")
                )
                return
        try:
            # In a thread of its own, not the consumer's one thread-sensitive executor: a set-up
            # (retrieval, quotes) takes tens of milliseconds of embedding, and the students who
            # ask at the same moment must not wait for each other's one after another.
            turn = await database_sync_to_async(turn_start, thread_sensitive=False)(
                user=self.user,
                course=self.course,
                text=question,
                mode=mode,
                conversation_id=conversation_id,
                lesson=lesson,
            )
        except QuotaExceeded as exc:
            await self.send_error("quota_exceeded", str(exc), quota=exc.state.as_dict())
            if self.html:
                await self.send(rendering.quota_fragment(exc.state))
            return
        except TutorError as exc:
            await self.send_error(exc.code, str(exc))
            return
        if self.html:
            html = await database_sync_to_async(rendering.started_fragments)(
                turn.conversation.pk, turn.question, turn.reply
            )
            await self.send(
                html + rendering.quota_fragment(turn.budget) + rendering.status_fragment(busy=True)
            )
        else:
            await self.send_json(
                {
                    "type": "started",
                    "conversation": turn.conversation.pk,
                    "question": turn.question.pk,
                    "message": turn.reply.pk,
                    "quota": turn.budget.as_dict(),
                }
            )
            # Before the generation task exists, so always before the first token.
            await self.send_json(
                {"type": "quotes", "message": turn.reply.pk, "quotes": turn.reply.quotes}
            )
        self.task = asyncio.create_task(self._generate(turn))

    async def _generate(self, turn: PreparedTurn) -> None:
        parts: list[str] = []
        stats: StreamStats | None = None
        first_token_ms: int | None = None
        status, error = Message.Status.COMPLETE, ""
        started = time.monotonic()
        last_render = 0.0
        try:
            async for piece in reply_stream(turn):
                if isinstance(piece, StreamStats):
                    stats = piece
                    continue
                if isinstance(piece, SentenceSupport):
                    if not self.html:
                        await self.send_json(_support_frame(turn, piece))
                    continue
                if first_token_ms is None:
                    first_token_ms = int((time.monotonic() - started) * 1000)
                parts.append(piece)
                if not self.html:
                    await self.send_json({"type": "token", "message": turn.reply.pk, "text": piece})
                elif time.monotonic() - last_render >= HTML_REFRESH_SECONDS:
                    last_render = time.monotonic()
                    await self.send_text(
                        rendering.streaming_fragment(
                            turn.reply.pk, "".join(parts), turn.reply.citations
                        )
                    )
        except asyncio.CancelledError:
            status = Message.Status.STOPPED
        except InferenceError as exc:
            status, error = Message.Status.FAILED, str(exc)
        except Exception:
            logger.exception("Tutor reply %s failed", turn.reply.pk)
            status, error = (
                Message.Status.FAILED,
                _("The tutor failed to answer; please try again."),
            )
        reply = await database_sync_to_async(turn_finish)(
            turn=turn,
            text="".join(parts),
            status=status,
            stats=stats,
            first_token_ms=first_token_ms,
            error=error,
        )
        try:
            await self._finished(turn, reply, stats)
        except Exception:  # the answer is stored; the page shows it on reload
            logger.exception("Could not send the end of tutor reply %s", reply.pk)

    async def _finished(
        self, turn: PreparedTurn, reply: Message, stats: StreamStats | None
    ) -> None:
        if not self.open:
            return
        quota = await database_sync_to_async(budget_state)(user=self.user)
        if self.html:
            # Rendered in a worker thread: the template reaches related rows (the rating form's
            # URL needs the course), which must not be queried on the event loop.
            html = await database_sync_to_async(rendering.message_fragment)(reply, oob="true")
            await self.send_text(
                html
                + rendering.status_fragment(busy=False, error=reply.error)
                + rendering.quota_fragment(quota)
            )
            return
        if reply.status == Message.Status.FAILED:
            await self.send_error("inference_failed", reply.error)
        await self.send_json(
            {
                "type": "done",
                "conversation": turn.conversation.pk,
                "message": reply.pk,
                "status": reply.status,
                "covered": reply.covered,
                "text": reply.content,
                "citations": reply.citations,
                "quotes": reply.quotes,
                "support": reply.support,
                "reliable": rendering.is_reliable(reply),
                "withheld": turn.checks.withheld if turn.checks else 0,
                "finish_reason": stats.finish_reason if stats else reply.status,
                "usage": {
                    "prompt_tokens": reply.prompt_tokens,
                    "completion_tokens": reply.completion_tokens,
                },
                "first_token_ms": reply.first_token_ms,
                "quota": quota.as_dict(),
            }
        )

    async def send_error(
        self, code: str, message: str | Promise, *, busy: bool = False, **extra: Any
    ) -> None:
        """A JSON error frame, or in HTML mode the status line showing the message."""
        if self.html:
            await self.send_text(rendering.status_fragment(busy=busy, error=str(message)))
        else:
            await super().send_error(code, message, **extra)
