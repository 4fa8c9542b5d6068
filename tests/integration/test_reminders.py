"""Deadline reminders on the real broker and database, across a restart: none lost, none sent twice."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pytest
from faststream.kafka import KafkaBroker
from pymongo.asynchronous.database import AsyncDatabase

from denialops_intake.domain.worklist import next_deadline
from denialops_intake.reminders import ReminderSweep
from denialops_shared.contracts.cloudevents import EncodedEvent, decode
from denialops_shared.contracts.events import DeadlineApproaching, DeadlineMissed
from denialops_shared.contracts.topics import Topic
from denialops_shared.mongo import Document
from denialops_shared.outbox import Outbox
from denialops_shared.settings import ServiceSettings
from tests.integration.intake_api import api_for
from tests.integration.support import make_intake
from tests.integration.test_case_work import TODAY, read_case
from tests.kafka_helpers import collect, headers_of

pytestmark = pytest.mark.integration


class CrashBeforePublish(Outbox):
    """The process dies after writing the reminder (its event is in the case's outbox) and before sending it."""

    def flush_soon(self, doc_id: object, events: Sequence[EncodedEvent]) -> None:
        return None


class Clock:
    def __init__(self, today: dt.date) -> None:
        self.today = today

    def __call__(self) -> dt.date:
        return self.today


async def reminders_of(settings: ServiceSettings, case_id: str, topic: Topic, count: int) -> list[Document]:
    records = await collect(
        settings.kafka_bootstrap_servers,
        topic.value,
        lambda r: headers_of(r)["ce_subject"] == case_id,
        count,
        wait_seconds=8,
    )
    return [{"id": headers_of(r)["ce_id"], "body": decode(topic, headers_of(r), r.value).body} for r in records]


async def test_each_reminder_goes_out_once_across_a_crash_and_a_restart(
    db: AsyncDatabase[Document], broker: KafkaBroker, settings: ServiceSettings
) -> None:
    first = make_intake(db, broker)
    first.today = lambda: TODAY
    async with api_for(first) as api:
        case_id = await read_case(api, "007.txt")
    item = await first.repo.work_item("acme", case_id)
    assert item is not None
    deadline = next_deadline(item)
    assert deadline is not None
    due = deadline.due
    clock = Clock(due - dt.timedelta(days=14))

    # The first process: the 14-day reminder goes out; at 7 days it crashes between write and publish.
    sweep = ReminderSweep(first.repo, first.tenants, first.case_outbox, clock, 60)
    assert await sweep.sweep_once() == 1
    assert await sweep.sweep_once() == 0, "the same day again sends nothing"
    clock.today = due - dt.timedelta(days=7)
    crashing = ReminderSweep(first.repo, first.tenants, CrashBeforePublish(db.cases, broker, 0.01), clock, 60)
    assert await crashing.sweep_once() == 1

    # Down from 7 days before the deadline until the day after it. The restarted process first sends what
    # its outbox holds (the relay's start-up sweep), then every reminder that fell due meanwhile.
    clock.today = due + dt.timedelta(days=1)
    restarted = make_intake(db, broker)
    recovery = Outbox(db.cases, broker, 0.01)
    assert await recovery.sweep_once() >= 1
    sweep = ReminderSweep(restarted.repo, restarted.tenants, restarted.case_outbox, clock, 60)
    assert await sweep.sweep_once() == 3  # 1 day, the day itself, missed
    assert await sweep.sweep_once() == 0
    another = ReminderSweep(restarted.repo, restarted.tenants, restarted.case_outbox, clock, 60)
    assert await another.sweep_once() == 0, "a second process finds them sent"

    approaching = await reminders_of(settings, case_id, Topic.DEADLINE_APPROACHING, 5)
    missed = await reminders_of(settings, case_id, Topic.DEADLINE_MISSED, 2)
    bodies = [r["body"] for r in approaching]
    assert all(isinstance(b, DeadlineApproaching) for b in bodies)
    assert sorted(b.threshold_days for b in bodies if isinstance(b, DeadlineApproaching)) == [0, 1, 7, 14]
    assert len({r["id"] for r in approaching}) == 4
    (gone,) = [r["body"] for r in missed]
    assert isinstance(gone, DeadlineMissed)
    assert (gone.due, gone.days_overdue, gone.level, gone.kind) == (due, 1, deadline.level, "filing")
    case = await db.cases.find_one({"_id": case_id})
    assert case is not None
    assert case["outbox"] == [], "nothing is left to send"
    assert len(case["reminders_sent"]) == 5


async def test_a_closed_case_gets_no_reminders(
    db: AsyncDatabase[Document], broker: KafkaBroker, settings: ServiceSettings
) -> None:
    intake = make_intake(db, broker)
    intake.today = lambda: TODAY
    async with api_for(intake) as api:
        case_id = await read_case(api, "007.txt")
        response = await api.client.patch(
            f"/api/v1/cases/{case_id}",
            json={"status": "written_off", "written_off_reason": "small balance"},
            headers=api.auth("acme"),
        )
        assert response.status_code == 200, response.text
    sweep = ReminderSweep(intake.repo, intake.tenants, intake.case_outbox, lambda: dt.date(2026, 1, 1), 60)
    assert await sweep.sweep_once() == 0
