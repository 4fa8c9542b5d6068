"""Live progress: a case's tasks are sent when they change, woken by the consumer or found by polling."""

from __future__ import annotations

import asyncio
from typing import Any

from denialops_intake.progress import ProgressHub, task_updates


def task(status: str, *stages: str) -> dict[str, Any]:
    return {
        "task_id": "run-1",
        "status": status,
        "stages": [{"stage": f"s{i}", "status": s} for i, s in enumerate(stages)],
    }


class Tasks:
    """The case's tasks as the database holds them; counts whole-case reads and single-task reads."""

    def __init__(self) -> None:
        self.current: list[dict[str, Any]] = []
        self.reads = 0
        self.single_reads: list[str] = []

    async def __call__(self) -> list[dict[str, Any]]:
        self.reads += 1
        return list(self.current)

    async def one(self, task_id: str, written: dict[str, Any] | None) -> dict[str, Any] | None:
        if written is not None:
            return written
        self.single_reads.append(task_id)
        return next((t for t in self.current if t["task_id"] == task_id), None)


async def test_changes_are_sent_once_each_and_the_stream_ends_when_all_tasks_finished() -> None:
    hub, tasks = ProgressHub(), Tasks()
    tasks.current = [task("queued", "pending")]
    stream = task_updates(hub, "t", "c", tasks, tasks.one, poll_seconds=60, max_seconds=30)
    assert (await anext(stream))["status"] == "queued"
    waiting = asyncio.ensure_future(anext(stream))
    await asyncio.sleep(0.05)
    assert not waiting.done(), "nothing changed: nothing is sent"
    tasks.current = [task("running", "succeeded")]
    hub.notify("t", "other-case", "run-1")
    hub.notify("other-tenant", "c", "run-1")
    await asyncio.sleep(0.05)
    assert not waiting.done(), "another case's or tenant's progress does not wake this stream"
    hub.notify("t", "c", "run-1")
    assert (await asyncio.wait_for(waiting, 1))["stages"][0]["status"] == "succeeded"
    tasks.current = [task("succeeded", "succeeded")]
    hub.notify("t", "c", "run-1")
    assert (await anext(stream))["status"] == "succeeded"
    assert [t async for t in stream] == []
    assert hub.listener_count() == 0
    assert tasks.reads == 1, "a wake-up re-reads the task it names, not the whole case"
    assert tasks.single_reads == ["run-1", "run-1"]


async def test_a_task_named_by_a_wake_up_joins_the_stream() -> None:
    hub, tasks = ProgressHub(), Tasks()
    tasks.current = [task("succeeded", "succeeded")]
    stream = task_updates(hub, "t", "c", tasks, tasks.one, poll_seconds=60, max_seconds=30)
    assert (await anext(stream))["task_id"] == "run-1"
    assert [t async for t in stream] == [], "every task finished: the stream ends"
    tasks.current.append({**task("queued", "pending"), "task_id": "run-2"})
    again = task_updates(hub, "t", "c", tasks, tasks.one, poll_seconds=60, max_seconds=30)
    assert [t["task_id"] for t in [await anext(again), await anext(again)]] == ["run-1", "run-2"]
    waiting = asyncio.ensure_future(anext(again))
    tasks.current.append({**task("queued", "pending"), "task_id": "run-3"})
    hub.notify("t", "c", "run-3")
    assert (await asyncio.wait_for(waiting, 1))["task_id"] == "run-3"


async def test_progress_from_another_replica_is_found_by_polling() -> None:
    hub, tasks = ProgressHub(), Tasks()
    stream = task_updates(hub, "t", "c", tasks, tasks.one, poll_seconds=0.05, max_seconds=5)
    later = asyncio.ensure_future(anext(stream))
    await asyncio.sleep(0.1)
    tasks.current = [task("succeeded", "succeeded")]  # nobody notifies
    assert (await asyncio.wait_for(later, 1))["status"] == "succeeded"


async def test_a_stream_is_bounded_in_time() -> None:
    tasks = Tasks()
    stream = task_updates(ProgressHub(), "t", "c", tasks, tasks.one, poll_seconds=0.02, max_seconds=0.1)
    assert await asyncio.wait_for(asyncio.gather(*[anext(stream, None)]), 1) == [None]


async def test_polls_that_find_nothing_new_come_less_often_and_a_change_resets_them() -> None:
    tasks = Tasks()
    tasks.current = [task("running", "pending")]
    stream = task_updates(ProgressHub(), "t", "c", tasks, tasks.one, poll_seconds=0.02, max_seconds=5)
    assert (await anext(stream))["status"] == "running"
    waiting = asyncio.ensure_future(anext(stream))
    await asyncio.sleep(0.6)
    # Without backing off: about 30 reads in 0.6 s; doubling up to 8 x 0.02 s: 0.02+0.04+0.08+0.16+0.16+...
    assert 3 <= tasks.reads <= 8, tasks.reads
    tasks.current = [task("succeeded", "succeeded")]
    assert (await asyncio.wait_for(waiting, 1))["status"] == "succeeded", "found by the next poll"


async def test_a_wake_up_with_the_written_task_is_sent_without_a_read_and_two_at_once_are_read() -> None:
    hub, tasks = ProgressHub(), Tasks()
    tasks.current = [task("queued", "pending")]
    stream = task_updates(hub, "t", "c", tasks, tasks.one, poll_seconds=60, max_seconds=30)
    assert (await anext(stream))["status"] == "queued"

    hub.notify("t", "c", "run-1", task("running", "succeeded"))
    assert (await asyncio.wait_for(anext(stream), 1))["status"] == "running"
    assert tasks.single_reads == [], "the wake-up brought the task as written"

    # Two writes notified before the stream looked: their order is unknown, so the task is read.
    hub.notify("t", "c", "run-1", task("succeeded", "succeeded"))
    hub.notify("t", "c", "run-1", task("running", "succeeded"))
    tasks.current = [task("succeeded", "succeeded")]
    assert (await asyncio.wait_for(anext(stream), 1))["status"] == "succeeded"
    assert tasks.single_reads == ["run-1"]
    assert [t async for t in stream] == []
