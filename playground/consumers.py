"""The playground socket: /ws/playground/. JSON frames (the README's "Playground protocol").

Client → server: `run` {code, assignment?}, `input` {text}, `stop`, `tests` {code, assignment},
`help` {kind: explain|why|improve, code, selection?, output?, assignment?}, `ping`.
Server → client: `ready`, `started`, `output` {stream, text}, `exit` {verdict, exit_code,
time_ms, problem, stopped}, `tests` {verdict, tests, problem}, `help.start`, `help.token`
{text}, `help.done`, `error` {code, message}, `pong`.

One running program per student: a run in another tab or socket stops this one. A disconnect
stops the program and the help at once.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from inference.llm import InferenceError, StreamStats, chat_stream
from playground import prompts, services
from sandbox import ProgramResult, ProgramRun
from tutor.budget import QuotaExceeded, budget_refund, budget_take
from tutor.guards import HintGuard

logger = logging.getLogger(__name__)

MAX_CLIENT_FRAME = 256 * 1024  # a 64 KB program plus JSON escaping, with room to spare
MAX_INPUT_CHARS = 4096
CLOSE_NOT_SIGNED_IN = 4401
CLOSE_TOO_BIG = 1009


def user_group(user_id: int) -> str:
    return f"playground-user-{user_id}"


class PlaygroundConsumer(AsyncWebsocketConsumer):
    program: ProgramRun | None = None
    run_task: asyncio.Task[None] | None = None
    help_task: asyncio.Task[None] | None = None
    run_started_at = 0.0
    open = False

    async def connect(self) -> None:
        self.user = self.scope.get("user")
        if self.user is None or not self.user.is_authenticated:
            await self.close(code=CLOSE_NOT_SIGNED_IN)
            return
        self.group = user_group(self.user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        self.open = True
        limits = services.playground_limits()
        await self._send_json(
            {
                "type": "ready",
                "limits": {
                    "cpu_seconds": limits.cpu_seconds,
                    "wall_seconds": limits.wall_seconds,
                    "memory_mb": limits.memory_mb,
                    "output_kb": limits.output_kb,
                },
            }
        )

    async def disconnect(self, code: int) -> None:
        self.open = False
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)
        await self._stop_program()
        if self.help_task and not self.help_task.done():
            self.help_task.cancel()
        tasks = {t for t in (self.run_task, self.help_task) if t and not t.done()}
        if tasks:
            await asyncio.wait(tasks, timeout=2)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if text_data is None or len(text_data) > MAX_CLIENT_FRAME:
            await self.close(code=CLOSE_TOO_BIG)
            return
        try:
            frame = json.loads(text_data)
        except ValueError:
            frame = None
        if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
            await self._error("bad_frame", "Frames are JSON objects with a type.")
            return
        handler = {
            "run": self._run,
            "input": self._input,
            "stop": self._stop,
            "tests": self._tests,
            "help": self._help,
            "ping": self._ping,
        }.get(frame["type"])
        if handler is None:
            await self._error(
                "bad_frame", "Unknown type; use run, input, stop, tests, help or ping."
            )
            return
        await handler(frame)

    # --- running a program ---------------------------------------------------------------------

    async def _run(self, frame: dict[str, Any]) -> None:
        code = frame.get("code")
        if problem := services.source_problem(code):
            await self._error("bad_code", problem)
            return
        await self._stop_program()
        if self.run_task and not self.run_task.done():
            await asyncio.wait({self.run_task}, timeout=2)
        # One program per student: every other socket of this student stops its run.
        await self.channel_layer.group_send(
            self.group,
            {"type": "playground.preempt", "sender": self.channel_name, "at": time.time()},
        )
        try:
            self.program = await ProgramRun.start(code=code, limits=services.playground_limits())
        except Exception:
            logger.exception("the playground sandbox did not start")
            await self._error("sandbox", "The sandbox could not start; try again in a moment.")
            return
        self.run_started_at = time.time()
        await self._send_json({"type": "started"})
        self.run_task = asyncio.create_task(self._stream(self.program))

    async def _stream(self, program: ProgramRun) -> None:
        try:
            async for stream, text in program.output():
                await self._send_json({"type": "output", "stream": stream, "text": text})
            result = await program.wait()
        except asyncio.CancelledError:
            await program.stop()
            raise
        await self._send_json(_exit_frame(result))

    async def _input(self, frame: dict[str, Any]) -> None:
        text = frame.get("text")
        if not isinstance(text, str) or len(text) > MAX_INPUT_CHARS:
            await self._error(
                "bad_input", f"Input is text of at most {MAX_INPUT_CHARS} characters."
            )
            return
        if self.program is None or self.run_task is None or self.run_task.done():
            await self._error("not_running", "No program is running to read that input.")
            return
        await self.program.send_input(text if text.endswith("\n") else text + "\n")

    async def _stop(self, frame: dict[str, Any]) -> None:
        if self.run_task is None or self.run_task.done():
            await self._error("not_running", "No program is running.")
            return
        await self._stop_program()

    async def _stop_program(self) -> None:
        if self.program is not None:
            await self.program.stop()

    async def playground_preempt(self, event: dict[str, Any]) -> None:
        if event["sender"] == self.channel_name or self.run_task is None or self.run_task.done():
            return
        # The layer may deliver this after a newer run of ours started (the socket's frames and
        # the layer's messages are not ordered): only a run that began earlier gives way.
        if event.get("at", 0) > self.run_started_at:
            # Said first, so the page knows why the exit frame that follows says "stopped".
            await self._send_json(
                {
                    "type": "error",
                    "code": "preempted",
                    "message": "Stopped: you started another program in another tab.",
                }
            )
            await self._stop_program()

    # --- an assignment's visible tests ---------------------------------------------------------

    async def _tests(self, frame: dict[str, Any]) -> None:
        code = frame.get("code")
        if problem := services.source_problem(code):
            await self._error("bad_code", problem)
            return
        assignment = await database_sync_to_async(services.assignment_for)(
            user=self.user, assignment_id=frame.get("assignment")
        )
        if assignment is None:
            await self._error("bad_assignment", "No such assignment of yours.")
            return
        run = database_sync_to_async(services.visible_tests_run, thread_sensitive=False)
        result = await run(assignment=assignment, code=code)
        await self._send_json({"type": "tests", **result})

    # --- AI help -------------------------------------------------------------------------------

    async def _help(self, frame: dict[str, Any]) -> None:
        kind = frame.get("kind")
        if kind not in prompts.TASKS:
            await self._error("bad_help", "Ask for explain, why or improve.")
            return
        code = frame.get("code")
        if problem := services.source_problem(code):
            await self._error("bad_code", problem)
            return
        if self.help_task and not self.help_task.done():
            await self._error("busy", "The tutor is still answering your last request.")
            return
        assignment = None
        if frame.get("assignment") not in (None, ""):
            assignment = await database_sync_to_async(services.assignment_for)(
                user=self.user, assignment_id=frame.get("assignment")
            )
            if assignment is None:
                await self._error("bad_assignment", "No such assignment of yours.")
                return
        try:
            await database_sync_to_async(budget_take)(user=self.user)
        except QuotaExceeded as exceeded:
            await self._error("quota", str(exceeded))
            return
        messages = prompts.help_messages(
            kind=kind,
            code=code,
            selection=_text(frame.get("selection")),
            output=_text(frame.get("output")),
            assignment=assignment.instructions if assignment else "",
        )
        self.help_task = asyncio.create_task(
            self._help_stream(kind, messages, guarded=assignment is not None)
        )

    async def _help_stream(self, kind: str, messages: list[dict[str, str]], guarded: bool) -> None:
        await self._send_json({"type": "help.start", "kind": kind})
        guard = HintGuard() if guarded else None
        limit = settings.PLAYGROUND_HELP_MAX_TOKENS
        try:
            async for piece in chat_stream(messages, max_tokens=limit):
                if isinstance(piece, StreamStats):
                    continue
                text = guard.feed(piece) if guard else piece
                if text:
                    await self._send_json({"type": "help.token", "text": text})
            if guard and (rest := guard.finish()):
                await self._send_json({"type": "help.token", "text": rest})
        except InferenceError as error:
            await database_sync_to_async(budget_refund)(user=self.user)
            await self._error("model", str(error))
            return
        await self._send_json({"type": "help.done"})

    # --- frames --------------------------------------------------------------------------------

    async def _ping(self, frame: dict[str, Any]) -> None:
        await self._send_json({"type": "pong"})

    async def _error(self, code: str, message: str) -> None:
        await self._send_json({"type": "error", "code": code, "message": message})

    async def _send_json(self, frame: dict[str, Any]) -> None:
        if self.open:
            await self.send(json.dumps(frame))


def _text(value: Any) -> str:
    return value[:8000] if isinstance(value, str) else ""


def _exit_frame(result: ProgramResult) -> dict[str, Any]:
    return {
        "type": "exit",
        "verdict": str(result.verdict),
        "exit_code": result.exit_code,
        "time_ms": result.time_ms,
        "problem": result.problem,
        "stopped": result.stopped,
    }
