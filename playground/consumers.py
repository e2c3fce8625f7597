"""The playground socket: /ws/playground/. JSON frames (the README's "Playground protocol").

Client → server: `run` {code, assignment?}, `input` {text}, `stop`, `tests` {code, assignment},
`help` {kind: explain|why|improve, code, selection?, output?, assignment?}, `ping`.
Server → client: `ready`, `started`, `output` {stream, text}, `exit` {verdict, exit_code,
time_ms, problem, stopped}, `tests` {verdict, tests, problem}, `help.start`, `help.token`
{text}, `help.done`, `error` {code, message}, `pong`.

One running program per student: a run in another tab or socket stops this one. A disconnect
stops the program and the help at once. The AI help itself (policy, budget, prompt, guard, stream)
is playground/help.py; this consumer checks frames and relays what it returns.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from django.utils.translation import gettext as _

from assist.budget import QuotaExceeded
from core.consumers import JsonFrameConsumer
from inference.llm import InferenceError
from playground import help as ai_help
from playground import metering, services
from sandbox import ProgramResult, ProgramRun

logger = logging.getLogger(__name__)

MAX_CLIENT_FRAME = 256 * 1024  # a 64 KB program plus JSON escaping, with room to spare
MAX_INPUT_CHARS = 4096


def user_group(user_id: int) -> str:
    return f"playground-user-{user_id}"


class PlaygroundConsumer(JsonFrameConsumer):
    max_frame = MAX_CLIENT_FRAME
    program: ProgramRun | None = None
    run_task: asyncio.Task[None] | None = None
    help_task: asyncio.Task[None] | None = None
    run_started_at = 0.0

    async def connect(self) -> None:
        self.user = await self.signed_in_user()
        if self.user is None:
            return
        self.group = user_group(self.user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        limits = services.playground_limits()
        await self.send_json(
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
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)
        await self._stop_program()
        if self.help_task and not self.help_task.done():
            self.help_task.cancel()
        tasks = {t for t in (self.run_task, self.help_task) if t and not t.done()}
        if tasks:
            await asyncio.wait(tasks, timeout=2)

    async def frame_received(self, frame: dict[str, Any]) -> None:
        if not isinstance(frame.get("type"), str):
            await self.frame_unreadable()
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
            await self.send_error(
                "bad_frame", _("Unknown type; use run, input, stop, tests, help or ping.")
            )
            return
        await handler(frame)

    # --- running a program ---------------------------------------------------------------------

    async def _run(self, frame: dict[str, Any]) -> None:
        code = frame.get("code")
        if problem := services.source_problem(code):
            await self.send_error("bad_code", problem)
            return
        assert isinstance(code, str)  # source_problem() rejects anything else
        await self._stop_program()
        if self.run_task and not self.run_task.done():
            await asyncio.wait({self.run_task}, timeout=2)
        # One program per student: every other socket of this student stops its run.
        await self.channel_layer.group_send(
            self.group,
            {"type": "playground.preempt", "sender": self.channel_name, "at": time.time()},
        )
        slot = await self._admit()
        if slot is None:
            return
        try:
            self.program = await ProgramRun.start(code=code, limits=services.playground_limits())
        except Exception:
            await sync_to_async(metering.run_release)(slot=slot)
            logger.exception("the playground sandbox did not start")
            await self.send_error(
                "sandbox", _("The sandbox could not start; try again in a moment.")
            )
            return
        self.run_started_at = time.time()
        await self.send_json({"type": "started"})
        self.run_task = asyncio.create_task(self._stream(self.program, slot))

    async def _admit(self) -> str | None:
        """A run slot (playground/metering.py), or None after telling the student why not."""
        try:
            return await sync_to_async(metering.run_admit)(user=self.user)
        except services.PlaygroundError as refused:
            await self.send_error(refused.code, str(refused))
            return None

    async def _stream(self, program: ProgramRun, slot: str) -> None:
        try:
            async for stream, text in program.output():
                await self.send_json({"type": "output", "stream": stream, "text": text})
            result = await program.wait()
        except asyncio.CancelledError:
            await program.stop()
            raise
        finally:
            await sync_to_async(metering.run_release)(slot=slot)
        await self.send_json(_exit_frame(result))

    async def _input(self, frame: dict[str, Any]) -> None:
        text = frame.get("text")
        if not isinstance(text, str) or len(text) > MAX_INPUT_CHARS:
            await self.send_error(
                "bad_input",
                _("Input is text of at most %(count)s characters.") % {"count": MAX_INPUT_CHARS},
            )
            return
        if self.program is None or self.run_task is None or self.run_task.done():
            await self.send_error("not_running", _("No program is running to read that input."))
            return
        await self.program.send_input(text if text.endswith("\n") else text + "\n")

    async def _stop(self, frame: dict[str, Any]) -> None:
        if self.run_task is None or self.run_task.done():
            await self.send_error("not_running", _("No program is running."))
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
            await self.send_json(
                {
                    "type": "error",
                    "code": "preempted",
                    "message": _("Stopped: you started another program in another tab."),
                }
            )
            await self._stop_program()

    # --- an assignment's visible tests ---------------------------------------------------------

    async def _tests(self, frame: dict[str, Any]) -> None:
        code = frame.get("code")
        if problem := services.source_problem(code):
            await self.send_error("bad_code", problem)
            return
        assignment = await database_sync_to_async(services.assignment_for)(
            user=self.user, assignment_id=frame.get("assignment")
        )
        if assignment is None:
            await self.send_error("bad_assignment", _("No such assignment of yours."))
            return
        slot = await self._admit()
        if slot is None:
            return
        run = database_sync_to_async(services.visible_tests_run, thread_sensitive=False)
        try:
            result = await run(assignment=assignment, code=code)
        finally:
            await sync_to_async(metering.run_release)(slot=slot)
        await self.send_json({"type": "tests", **result})

    # --- AI help -------------------------------------------------------------------------------

    async def _help(self, frame: dict[str, Any]) -> None:
        kind = frame.get("kind")
        if kind not in ai_help.HELP_KINDS:
            await self.send_error("bad_help", _("Ask for explain, why or improve."))
            return
        code = frame.get("code")
        if problem := services.source_problem(code):
            await self.send_error("bad_code", problem)
            return
        if self.help_task and not self.help_task.done():
            await self.send_error("busy", _("The tutor is still answering your last request."))
            return
        assignment = None
        if frame.get("assignment") not in (None, ""):
            assignment = await database_sync_to_async(services.assignment_for)(
                user=self.user, assignment_id=frame.get("assignment")
            )
            if assignment is None:
                await self.send_error("bad_assignment", _("No such assignment of yours."))
                return
        try:
            request = await database_sync_to_async(ai_help.help_prepare)(
                user=self.user,
                kind=kind,
                code=code,
                selection=ai_help.clipped(frame.get("selection")),
                output=ai_help.clipped(frame.get("output")),
                assignment=assignment,
            )
        except QuotaExceeded as exceeded:
            await self.send_error("quota", str(exceeded))
            return
        except services.PlaygroundError as refused:
            await self.send_error(refused.code, str(refused))
            return
        self.help_task = asyncio.create_task(self._help_stream(request))

    async def _help_stream(self, request: ai_help.HelpRequest) -> None:
        await self.send_json(
            {"type": "help.start", "kind": request.kind, "quotes": list(request.quotes)}
        )
        try:
            async for text in ai_help.help_stream(request):
                await self.send_json({"type": "help.token", "text": text})
        except InferenceError as error:
            await self.send_error("model", str(error))
            return
        await self.send_json({"type": "help.done"})

    # --- frames --------------------------------------------------------------------------------

    async def _ping(self, frame: dict[str, Any]) -> None:
        await self.send_json({"type": "pong"})


def _exit_frame(result: ProgramResult) -> dict[str, Any]:
    return {
        "type": "exit",
        "verdict": str(result.verdict),
        "exit_code": result.exit_code,
        "time_ms": result.time_ms,
        "problem": result.problem,
        "stopped": result.stopped,
    }
