"""An in-memory IntakeRepository for fast tests of intake's use cases (no Kafka, no database).

It keeps the repository's contract, not its mechanics: owners are checked, a cancelled run refuses later
results, a redelivery changes nothing. The integration tests prove the real one does the same.
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Sequence
from typing import Any, cast

from denialops_intake.domain.runs import is_cancelled, with_status
from denialops_intake.domain.worklist import ItemUpdate
from denialops_intake.handlers import Intake
from denialops_intake.repository import IntakeRepository, OwnedElsewhere, RecordedStage, RunChange, StageResult
from denialops_intake.tenants import TenantStore
from denialops_shared.contracts.cloudevents import EncodedEvent
from denialops_shared.mongo import Document
from denialops_shared.outbox import Outbox


class FakeRepository:
    def __init__(self) -> None:
        self.cases: dict[str, Document] = {}
        self.documents: dict[str, Document] = {}
        self.runs: dict[str, Document] = {}
        self.work_items: dict[tuple[str, str], Document] = {}
        self.writes: Counter[str] = Counter()  # writes by collection, to check one write per event

    # -- writes ---------------------------------------------------------------------------------------

    async def check_case_owner(self, tenant_id: str, case_id: str) -> None:
        case = self.cases.get(case_id)
        if case is not None and case["tenant_id"] != tenant_id:
            raise OwnedElsewhere

    async def project_case(self, case: Document, run_ids: list[str], document_ids: Sequence[str] = ()) -> bool:
        found = self.cases.get(case["_id"])
        if found is not None and found["tenant_id"] != case["tenant_id"]:
            raise OwnedElsewhere
        self.writes["cases"] += 1
        if found is None:
            self.cases[case["_id"]] = {
                **copy.deepcopy(case),
                "document_ids": list(document_ids),
                "run_ids": list(run_ids),
            }
            return True
        if "mode" not in found:
            found.update({k: v for k, v in case.items() if k not in ("_id", "created_at")})
            found["run_ids"] = [*found["run_ids"], *(r for r in run_ids if r not in found["run_ids"])]
        return False

    async def project_document(self, document: Document) -> None:
        found = self.documents.get(document["_id"])
        if found is not None and found["tenant_id"] != document["tenant_id"]:
            raise OwnedElsewhere
        self.writes["documents"] += 1
        self.documents.setdefault(document["_id"], copy.deepcopy(document))

    async def link(self, tenant_id: str, case_id: str, links: dict[str, str], now: Any) -> None:
        self.writes["cases"] += 1
        case = self.cases.setdefault(
            case_id, {"_id": case_id, "tenant_id": tenant_id, "created_at": now, "document_ids": [], "run_ids": []}
        )
        for name, value in links.items():
            listed = case.setdefault(name, [])
            if value not in listed:
                listed.append(value)

    async def record_stages(
        self, tenant_id: str, case_id: str, run_id: str, results: Sequence[StageResult], *, unless_cancelled: bool
    ) -> RecordedStage:
        self.writes["runs"] += 1
        found = self.runs.get(run_id)
        if found is not None and (found["tenant_id"], found["case_id"]) != (tenant_id, case_id):
            raise OwnedElsewhere
        before = self._state(found) if found is not None else None
        if unless_cancelled and before is not None and is_cancelled(before):
            return RecordedStage(run=with_status(before), before=before, refused=True)
        received = results[-1].received
        run = found or {
            "_id": run_id,
            "tenant_id": tenant_id,
            "case_id": case_id,
            "requested_by": "auto",
            "created_at": received,
        }
        for result in results:
            run.setdefault("stages", {})[result.stage] = copy.deepcopy(result.doc)
            run.setdefault("outputs", {})[result.stage] = copy.deepcopy(result.artifacts)
            if result.summary is not None:
                run.setdefault("projection", {})[result.summary[0]] = result.summary[1]
        run["updated_at"] = received
        if any(result.finishes for result in results):
            run["finished_at"] = min(run.get("finished_at") or received, received)
        self.runs[run_id] = run
        return RecordedStage(run=with_status(self._state(run)), before=before)

    async def change_run(self, tenant_id: str, run_id: str, change: RunChange) -> tuple[Document, bool] | None:
        run = await self.get_run(tenant_id, run_id)
        if run is None:
            return None
        decided = change(run)
        if decided is None:
            return run, False
        self.runs[run_id].update(decided[0])
        return with_status(self._state(self.runs[run_id])), True

    async def update_work_item(self, tenant_id: str, case_id: str, update: ItemUpdate) -> None:
        self.writes[f"work_items_{tenant_id}"] += 1
        item = self.work_items.setdefault((tenant_id, case_id), {"_id": case_id})
        item.update({**update.set, "case_id": case_id})
        for name, value in update.earliest.items():
            item[name] = min(item.get(name, value), value)
        for name in update.unset:
            item.pop(name, None)

    # -- reads --------------------------------------------------------------------------------------

    @staticmethod
    def _state(run: Document) -> Document:
        return copy.deepcopy({k: v for k, v in run.items() if k not in ("outputs", "outbox")})

    async def get_case(self, tenant_id: str, case_id: str) -> Document | None:
        case = self.cases.get(case_id)
        return copy.deepcopy(case) if case and case["tenant_id"] == tenant_id and "mode" in case else None

    async def get_run(self, tenant_id: str, run_id: str) -> Document | None:
        run = self.runs.get(run_id)
        return with_status(self._state(run)) if run and run["tenant_id"] == tenant_id else None

    async def run_artifacts(self, tenant_id: str, run_id: str, *, with_content: bool) -> list[Document]:
        run = self.runs.get(run_id)
        if run is None or run["tenant_id"] != tenant_id:
            return []
        return sorted((a for artifacts in run.get("outputs", {}).values() for a in artifacts), key=lambda a: a["name"])


class FakeTenants:
    def __init__(self, *tenants: str) -> None:
        self.known = set(tenants)

    async def exists(self, tenant_id: str) -> bool:
        return tenant_id in self.known


class FakeOutbox:
    def __init__(self) -> None:
        self.flushed: list[tuple[Any, list[EncodedEvent]]] = []

    def flush_soon(self, doc_id: Any, events: list[EncodedEvent]) -> None:
        self.flushed.append((doc_id, list(events)))


def fake_intake(repo: FakeRepository, *tenants: str) -> Intake:
    """Intake's use cases over the in-memory repository (its types are the real ones' duck types)."""
    outbox = cast(Outbox, FakeOutbox())
    return Intake(cast(IntakeRepository, repo), outbox, outbox, outbox, cast(TenantStore, FakeTenants(*tenants)))
