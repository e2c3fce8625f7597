"""Who goes first at the model: a priority gate in front of the engine.

A person waiting on a socket (tutor, playground help, quiz feedback) must not queue behind work
the platform does on its own account (grading feedback, text grading, question drafting). The
engine batches every admitted request step by step, so the cost a background request imposes on
students is mostly its prefill, which delays everyone's next token. The gate therefore:

- admits interactive requests at once (the engine's own batch limit applies after that);
- admits a background request only into one of `background_slots`, and only while no
  interactive request is still waiting for its first token;
- ages background requests: the oldest one waiting longer than `max_wait` seconds is admitted
  into a free background slot even while students wait, so background work always progresses.

Background requests are admitted in arrival order. The state is guarded by a threading lock and
waiters are woken with `call_soon_threadsafe`, because the local backend may be called from
several event loops at once (`async_to_sync` gives each worker thread its own).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum


class Priority(StrEnum):
    INTERACTIVE = "interactive"
    BACKGROUND = "background"

    @classmethod
    def parse(cls, value: str | None) -> Priority:
        """A caller's stated priority; anything unknown is background, which can only wait
        longer, never push a student's request back."""
        try:
            return cls((value or "").strip().lower())
        except ValueError:
            return cls.BACKGROUND


@dataclass(eq=False)
class Ticket:
    priority: Priority
    queued_at: float
    admitted: bool = False
    waiting_first_token: bool = False
    released: bool = False
    _wake: Callable[[], object] | None = field(default=None, repr=False)


class PriorityGate:
    def __init__(
        self,
        *,
        background_slots: int = 1,
        max_wait: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.background_slots = max(1, background_slots)
        self.max_wait = max_wait
        self.clock = clock
        self._lock = threading.Lock()
        self._interactive_waiting = 0  # admitted, no first token yet
        self._interactive_active = 0
        self._background_active = 0
        self._queue: deque[Ticket] = deque()
        self.admitted_by_aging = 0  # read by tests and the bench

    # --- figures ---------------------------------------------------------------------------------

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return {
                "interactive_active": self._interactive_active,
                "interactive_waiting_first_token": self._interactive_waiting,
                "background_active": self._background_active,
                "background_queued": len(self._queue),
                "background_admitted_by_aging": self.admitted_by_aging,
            }

    # --- the protocol: acquire, first_token, release ---------------------------------------------

    async def acquire(self, priority: Priority) -> Ticket:
        ticket = Ticket(priority, self.clock())
        if priority == Priority.INTERACTIVE:
            with self._lock:
                ticket.admitted = ticket.waiting_first_token = True
                self._interactive_active += 1
                self._interactive_waiting += 1
            return ticket
        loop = asyncio.get_running_loop()
        event = asyncio.Event()
        ticket._wake = lambda: loop.call_soon_threadsafe(event.set)
        with self._lock:
            self._queue.append(ticket)
            self._admit_locked()
        try:
            while not ticket.admitted:
                event.clear()
                # Woken on every release; the timeout re-checks the aging rule.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(event.wait(), timeout=self._recheck_after(ticket))
                with self._lock:
                    self._admit_locked()
        except BaseException:
            # Cancelled while queued (the client went away): leave no trace, or free the slot
            # if it was granted in the same instant.
            self.release(ticket)
            raise
        return ticket

    def first_token(self, ticket: Ticket) -> None:
        """The request's first token arrived: it no longer holds background work back."""
        with self._lock:
            if ticket.waiting_first_token:
                ticket.waiting_first_token = False
                self._interactive_waiting -= 1
                self._admit_locked()

    def release(self, ticket: Ticket) -> None:
        with self._lock:
            if ticket.released:
                return
            ticket.released = True
            if ticket.waiting_first_token:
                ticket.waiting_first_token = False
                self._interactive_waiting -= 1
            if not ticket.admitted:
                self._queue.remove(ticket)
            elif ticket.priority == Priority.INTERACTIVE:
                self._interactive_active -= 1
            else:
                self._background_active -= 1
            self._admit_locked()

    # --- internals, called with the lock held ----------------------------------------------------

    def _recheck_after(self, ticket: Ticket) -> float:
        waited = self.clock() - ticket.queued_at
        return max(0.05, min(1.0, self.max_wait - waited))

    def _admit_locked(self) -> None:
        while self._queue and self._background_active < self.background_slots:
            head = self._queue[0]
            aged = self.clock() - head.queued_at >= self.max_wait
            if self._interactive_waiting and not aged:
                return
            if self._interactive_waiting:
                self.admitted_by_aging += 1
            self._queue.popleft()
            head.admitted = True
            self._background_active += 1
            if head._wake is not None:
                head._wake()
