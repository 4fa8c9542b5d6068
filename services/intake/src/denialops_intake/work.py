"""Case-work use cases: change a case's owner or status, add notes, record submissions and decisions.

Each change is one write of the case's document (its work state and the history entries, read and
written under the case's lock, so a refused change writes nothing), then the same fields on the case's
worklist item. The item is derived: a change retried after a failure writes it again.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from denialops_intake.domain import casework
from denialops_intake.domain.casework import HistoryEntry, Work
from denialops_intake.domain.worklist import amount_at_stake, level_names, next_deadline, work_fields
from denialops_intake.handlers import NotFound
from denialops_intake.metrics import CASE_DECISIONS, CASE_SUBMISSIONS, CASE_TRANSITIONS, RECOVERED_DOLLARS
from denialops_intake.repository import IntakeRepository
from denialops_shared.mongo import Document

Change = Callable[[Work, Document, Document | None], tuple[Work, list[HistoryEntry]]]


def work_of(case: Document) -> Work:
    return Work.model_validate(case.get("work") or {})


def _denied_on(case: Document, item: Document | None) -> dt.date:
    """Nothing happens on a case before its denial (the letter's date; the case's creation without one)."""
    denial = (item or {}).get("denial_date")
    return dt.date.fromisoformat(denial) if denial else case["created_at"].date()


@dataclass
class CaseWork:
    repo: IntakeRepository
    today: Callable[[], dt.date]

    async def _apply(self, tenant_id: str, case_id: str, change: Change) -> tuple[Work, Document | None]:
        """Apply `change` to the case's work state (given the case and its worklist item) and write it."""
        item = await self.repo.work_item(tenant_id, case_id)
        result: list[tuple[Work, list[HistoryEntry]]] = []

        def apply(case: Document) -> tuple[Document, list[Document]]:
            work, entries = change(work_of(case), case, item)
            result.append((work, entries))
            return {"work": work.model_dump(mode="json")}, [e.model_dump(mode="json") for e in entries]

        if await self.repo.update_case_work(tenant_id, case_id, apply) is None:
            raise NotFound
        work, entries = result[0]
        for entry in entries:
            if "after" in entry.changes:
                CASE_TRANSITIONS.labels(status=entry.changes["after"]).inc()
        fields = {**work_fields(work, at=dt.datetime.now(dt.UTC)), "case_id": case_id}
        await self.repo.set_work_fields(tenant_id, case_id, fields)
        return work, {**(item or {}), **fields}

    async def change(
        self,
        tenant_id: str,
        case_id: str,
        by: str,
        *,
        owner: str | None,
        set_owner: bool,
        status: casework.Status | None,
        written_off_reason: str | None,
    ) -> dict[str, Any]:
        at = dt.datetime.now(dt.UTC)
        work, item = await self._apply(
            tenant_id,
            case_id,
            lambda w, _case, _item: casework.change(
                w, at=at, by=by, owner=owner, set_owner=set_owner, status=status, written_off_reason=written_off_reason
            ),
        )
        return self.view(case_id, work, item)

    async def add_note(self, tenant_id: str, case_id: str, by: str, text: str) -> dict[str, Any]:
        note = casework.Note(id=f"note-{uuid.uuid4()}", text=text, at=dt.datetime.now(dt.UTC), by=by)
        await self._apply(tenant_id, case_id, lambda w, _case, _item: casework.add_note(w, note))
        return {"note_id": note.id, "at": note.at, "by": by}

    async def submit(
        self,
        tenant_id: str,
        case_id: str,
        by: str,
        *,
        level: casework.Level,
        date: dt.date,
        channel: casework.Channel,
        documents: list[str],
    ) -> dict[str, Any]:
        submission = casework.Submission(
            id=f"sub-{uuid.uuid4()}",
            level=level,
            date=date,
            channel=channel,
            documents=documents,
            recorded_at=dt.datetime.now(dt.UTC),
            by=by,
        )
        work, item = await self._apply(
            tenant_id,
            case_id,
            lambda w, case, item: casework.submit(w, submission, denied_on=_denied_on(case, item), today=self.today()),
        )
        CASE_SUBMISSIONS.labels(level=level.value).inc()
        return self.view(case_id, work, item)

    async def decide(
        self,
        tenant_id: str,
        case_id: str,
        by: str,
        *,
        outcome: casework.Outcome,
        date: dt.date,
        amount_recovered: float,
    ) -> dict[str, Any]:
        def change(work: Work, _case: Document, item: Document | None) -> tuple[Work, list[HistoryEntry]]:
            level = work.submissions[-1].level if work.submissions else casework.Level.APPEAL
            decision = casework.Decision(
                id=f"dec-{uuid.uuid4()}",
                level=level,
                outcome=outcome,
                date=date,
                amount_recovered=amount_recovered,
                recorded_at=dt.datetime.now(dt.UTC),
                by=by,
            )
            return casework.decide(
                work,
                decision,
                today=self.today(),
                amount_at_stake=amount_at_stake(item or {}),
                levels=level_names(item or {}),
            )

        work, item = await self._apply(tenant_id, case_id, change)
        CASE_DECISIONS.labels(outcome=outcome.value).inc()
        RECOVERED_DOLLARS.inc(amount_recovered)
        return self.view(case_id, work, item)

    def view(self, case_id: str, work: Work, item: Document | None) -> dict[str, Any]:
        """The case's work state as the API shows it (notes only as a count: they are in the history)."""
        deadline = next_deadline(item) if item else None
        return {
            "case_id": case_id,
            "status": work.status.value,
            "owner": work.owner,
            "level": deadline.level if deadline else (work.level.value if work.level else None),
            "outcome": work.outcome.value if work.outcome else None,
            "written_off_reason": work.written_off_reason,
            "amount_at_stake": amount_at_stake(item or {}),
            "amount_recovered": work.recovered,
            "next_deadline": deadline.due.isoformat() if deadline else None,
            "next_deadline_kind": deadline.kind if deadline else None,
            "days_left": (deadline.due - self.today()).days if deadline else None,
            "submissions": [s.model_dump(mode="json") for s in work.submissions],
            "decisions": [d.model_dump(mode="json") for d in work.decisions],
            "notes": len(work.notes),
        }

    async def case_view(self, case: Document) -> dict[str, Any]:
        item = await self.repo.work_item(case["tenant_id"], case["_id"])
        return self.view(case["_id"], work_of(case), item)

    @staticmethod
    def history(case: Document) -> list[dict[str, Any]]:
        """The case's history, oldest first; a note's entry carries its text (notes are shown, never logged)."""
        notes = {note.id: note.text for note in work_of(case).notes}
        entries = []
        for entry in case.get("history", []):
            changes = dict(entry.get("changes", {}))
            if entry.get("action") == "note_added":
                changes["text"] = notes.get(changes.get("note_id", ""))
            entries.append({"at": entry["at"], "by": entry["by"], "action": entry["action"], "changes": changes})
        return entries
