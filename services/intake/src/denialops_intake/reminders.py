"""The reminder sweep: `deadline.approaching` / `deadline.missed` for every open deadline that is due.

Each sweep reads every tenant's worklist items (by `_id`, see the repository) and, for each reminder
due and not yet sent, marks it sent on the case's document with its event in the case's outbox in one
write, then publishes it. The mark makes it once per case, deadline and threshold; the outbox makes it
survive a crash between the write and the publish. The sweep runs when the service starts, so what
fell due while it was down goes out then, and every `REMINDER_SWEEP_SECONDS` after.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, cast

from denialops_intake.domain.reminders import Reminder, due_reminders
from denialops_intake.domain.worklist import next_deadline
from denialops_intake.metrics import DEADLINE_REMINDERS, REMINDER_SWEEP_FAILURES
from denialops_intake.repository import IntakeRepository
from denialops_intake.tenants import TenantStore
from denialops_shared.contracts.cloudevents import EncodedEvent, deterministic_event_id, encode
from denialops_shared.contracts.events import DeadlineApproaching, DeadlineMissed
from denialops_shared.contracts.topics import Topic
from denialops_shared.outbox import Outbox

SOURCE = "/denialops/intake"

log = logging.getLogger(__name__)
Threshold = Literal[14, 7, 1, 0]


def reminder_event(tenant_id: str, case_id: str, reminder: Reminder) -> EncodedEvent:
    """The reminder's CloudEvent; its id is derived from the case and the reminder, so a resend is the same event."""
    deadline = reminder.deadline
    level = deadline.level or "appeal"
    event_id = deterministic_event_id(case_id, "reminder", reminder.key)
    if reminder.threshold is None:
        missed = DeadlineMissed(
            tenant_id=tenant_id,
            case_id=case_id,
            level=level,
            kind=deadline.kind,
            due=deadline.due,
            days_overdue=-reminder.days_left,
        )
        return encode(Topic.DEADLINE_MISSED, missed, source=SOURCE, event_id=event_id)
    approaching = DeadlineApproaching(
        tenant_id=tenant_id,
        case_id=case_id,
        level=level,
        kind=deadline.kind,
        due=deadline.due,
        threshold_days=cast(Threshold, reminder.threshold),
        days_left=reminder.days_left,
    )
    return encode(Topic.DEADLINE_APPROACHING, approaching, source=SOURCE, event_id=event_id)


@dataclass
class ReminderSweep:
    repo: IntakeRepository
    tenants: TenantStore
    case_outbox: Outbox
    today: Callable[[], dt.date]
    sweep_seconds: float

    async def sweep_once(self) -> int:
        """Send every reminder due today; returns how many went out."""
        today = self.today()
        sent = 0
        for tenant_id in await self.tenants.tenant_ids():
            for item in await self.repo.tenant_work_items(tenant_id):
                deadline = next_deadline(item)
                if deadline is None or not item.get("route"):
                    continue
                known = item.get("deadline_known_on")
                known_on = dt.date.fromisoformat(known) if known else today
                for reminder in due_reminders(deadline, known_on=known_on, today=today, sent=item.get("reminded", [])):
                    sent += await self._send(tenant_id, item["case_id"], reminder)
        return sent

    async def _send(self, tenant_id: str, case_id: str, reminder: Reminder) -> int:
        event = reminder_event(tenant_id, case_id, reminder)
        recorded = await self.repo.record_reminder(case_id, reminder.key, event)
        if recorded:
            self.case_outbox.flush_soon(case_id, [event])
            missed = reminder.threshold is None
            DEADLINE_REMINDERS.labels(
                kind="missed" if missed else "approaching", threshold="none" if missed else str(reminder.threshold)
            ).inc()
        await self.repo.add_reminded(tenant_id, case_id, reminder.key)
        return int(recorded)

    async def run(self) -> None:
        while True:
            try:
                await self.sweep_once()
            except Exception:
                REMINDER_SWEEP_FAILURES.inc()
                log.warning("intake.reminders.sweep_failed")
            await asyncio.sleep(self.sweep_seconds)
