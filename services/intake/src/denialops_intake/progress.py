"""Live task progress for one case, for the SSE and WebSocket endpoints.

The consumer wakes the case's listeners in this process as it records a stage (`ProgressHub.notify`,
naming the task, with the task as the database returned it from that write); a listener yields that
state, or re-reads the task when the wake-up brought none, and sends it if it changed. A stage recorded
by another replica wakes nobody here, so listeners also re-read all the case's tasks every
`poll_seconds`. What is sent always comes from the database, so a wake-up can be lost or repeated
without harm; when two wake-ups name one task before the listener looks, it re-reads the task rather
than trust either (writes may finish in one order and notify in the other).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

TERMINAL = frozenset({"succeeded", "failed", "cancelled"})
# A stream that finds nothing new polls less and less often, down to once every this many poll intervals.
POLL_BACKOFF = 8

TaskViews = Callable[[], Awaitable[list[dict[str, Any]]]]
# The view of one task: from the state a wake-up brought, or read from the database when it is None.
TaskView = Callable[[str, Any], Awaitable[dict[str, Any] | None]]


@dataclass(eq=False)
class Wake:
    """What woke a listener: the tasks named since it last looked, each with its state as written (or None)."""

    event: asyncio.Event = field(default_factory=asyncio.Event)
    named: dict[str, Any] = field(default_factory=dict)

    def add(self, task_id: str, state: Any) -> None:
        # Named twice before the listener looked: which write came last is unknown, so read it again.
        self.named[task_id] = None if task_id in self.named else state
        self.event.set()

    def take(self) -> dict[str, Any]:
        self.event.clear()
        named, self.named = self.named, {}
        return named


@dataclass
class ProgressHub:
    _listeners: dict[tuple[str, str], set[Wake]] = field(default_factory=lambda: defaultdict(set))

    def notify(self, tenant_id: str, case_id: str, task_id: str, state: Any = None) -> None:
        """Wake the case's listeners; `state` is the task as the write that changed it returned it."""
        for wake in self._listeners.get((tenant_id, case_id), ()):
            wake.add(task_id, state)

    @contextlib.contextmanager
    def listen(self, tenant_id: str, case_id: str) -> Iterator[Wake]:
        wake = Wake()
        key = (tenant_id, case_id)
        self._listeners[key].add(wake)
        try:
            yield wake
        finally:
            self._listeners[key].discard(wake)
            if not self._listeners[key]:
                del self._listeners[key]

    def listener_count(self) -> int:
        return sum(len(wakes) for wakes in self._listeners.values())


def _fingerprint(task: dict[str, Any]) -> tuple[Any, ...]:
    return (task["status"], tuple((s["stage"], s["status"]) for s in task["stages"]))


async def task_updates(
    hub: ProgressHub,
    tenant_id: str,
    case_id: str,
    tasks: TaskViews,
    task: TaskView,
    *,
    poll_seconds: float,
    max_seconds: float,
) -> AsyncIterator[dict[str, Any]]:
    """Each task of the case when it is new or changed.

    Reads all the case's tasks at first and whenever the poll interval passes without a wake-up; a
    wake-up brings the tasks it names (or they are re-read). The interval starts at `poll_seconds` and doubles (up to
    POLL_BACKOFF times) while polls find nothing new, so hundreds of open streams on a busy system do
    not add hundreds of reads a second; any change starts it over. Ends once the case has tasks and
    all of them are finished, or after `max_seconds`.
    """
    sent: dict[str, tuple[Any, ...]] = {}
    views: dict[str, dict[str, Any]] = {}
    loop = asyncio.get_running_loop()
    deadline = loop.time() + max_seconds
    read_all = True
    interval = poll_seconds
    with hub.listen(tenant_id, case_id) as wake:
        while True:
            named = wake.take()
            if read_all:
                views = {t["task_id"]: t for t in await tasks()}
                named = {k: v for k, v in named.items() if k not in views}  # just read
            for task_id, state in named.items():
                if (view := await task(task_id, state)) is not None:
                    views[task_id] = view
            changed = [v for v in views.values() if sent.get(v["task_id"]) != _fingerprint(v)]
            for view in changed:
                sent[view["task_id"]] = _fingerprint(view)
                yield view
            interval = poll_seconds if changed else min(interval * 2, poll_seconds * POLL_BACKOFF)
            if views and all(t["status"] in TERMINAL for t in views.values()):
                return
            remaining = deadline - loop.time()
            if remaining <= 0:
                return
            try:
                await asyncio.wait_for(wake.event.wait(), min(interval, remaining))
                read_all = False
            except TimeoutError:
                read_all = True
