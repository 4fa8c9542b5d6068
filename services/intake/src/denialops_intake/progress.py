"""Live task progress for one case, for the SSE and WebSocket endpoints.

The consumer wakes the case's listeners in this process as it records a stage (`ProgressHub.notify`);
a listener then re-reads the case's tasks from the database and yields those that changed. A stage
recorded by another replica wakes nobody here, so listeners also re-read every `poll_seconds`. The
database is the only source of what is sent, so a wake-up can be lost or repeated without harm.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

TERMINAL = frozenset({"succeeded", "failed", "cancelled"})

TaskViews = Callable[[], Awaitable[list[dict[str, Any]]]]


@dataclass
class ProgressHub:
    _listeners: dict[tuple[str, str], set[asyncio.Event]] = field(default_factory=lambda: defaultdict(set))

    def notify(self, tenant_id: str, case_id: str) -> None:
        for event in self._listeners.get((tenant_id, case_id), ()):
            event.set()

    @contextlib.contextmanager
    def listen(self, tenant_id: str, case_id: str) -> Iterator[asyncio.Event]:
        event = asyncio.Event()
        key = (tenant_id, case_id)
        self._listeners[key].add(event)
        try:
            yield event
        finally:
            self._listeners[key].discard(event)
            if not self._listeners[key]:
                del self._listeners[key]

    def listener_count(self) -> int:
        return sum(len(events) for events in self._listeners.values())


def _fingerprint(task: dict[str, Any]) -> tuple[Any, ...]:
    return (task["status"], tuple((s["stage"], s["status"]) for s in task["stages"]))


async def task_updates(
    hub: ProgressHub,
    tenant_id: str,
    case_id: str,
    tasks: TaskViews,
    *,
    poll_seconds: float,
    max_seconds: float,
) -> AsyncIterator[dict[str, Any]]:
    """Each task of the case when it is new or changed.

    Ends once the case has tasks and all of them are finished, or after `max_seconds`.
    """
    sent: dict[str, tuple[Any, ...]] = {}
    loop = asyncio.get_running_loop()
    deadline = loop.time() + max_seconds
    with hub.listen(tenant_id, case_id) as woken:
        while True:
            woken.clear()
            current = await tasks()
            changed = [t for t in current if sent.get(t["task_id"]) != _fingerprint(t)]
            for task in changed:
                sent[task["task_id"]] = _fingerprint(task)
                yield task
            if current and all(t["status"] in TERMINAL for t in current):
                return
            remaining = deadline - loop.time()
            if remaining <= 0:
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(woken.wait(), min(poll_seconds, remaining))
