"""Every hot query is answered from an index, never by scanning its collection (the database's own plan).

The services read and update documents by `_id` only (see the repositories); this asks the real server
to explain those lookups, in the format it answers in: MongoDB's `winningPlan` tree (MongoDB, SecantusDB)
or SQLite's query plan (FerretDB on SQLite). On FerretDB it also proves the launcher's `_id` lookup patch
is in the build: without it SQLite scans the table (`SCAN <table>`) for every lookup.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from denialops_shared.mongo import Document

pytestmark = pytest.mark.integration

# What each service looks up by `_id` on its hot paths (HTTP requests, event handlers, the outbox).
HOT_COLLECTIONS = {
    "intake": ("cases", "documents", "runs", "artifacts", "api_keys", "tenants", "work_items_acme"),
    "router": ("cases", "documents", "runs"),
    "llm-worker": ("runs", "outcomes", "letters", "llm_cache"),
    "outbox": ("outbox_retries",),
}
# MongoDB's stages that read through an index; IDHACK (the `_id` fast path) names none.
INDEX_STAGES = {"IXSCAN", "EXPRESS_IXSCAN", "IDHACK"}


def stages(stage: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield stage
    for child in (stage.get("inputStage"), *stage.get("inputStages", ())):
        if child is not None:
            yield from stages(child)


def answered_from(plan: dict[str, Any], index: str) -> bool:
    """The plan reads through `index` and scans no collection."""
    if "winningPlan" in plan:
        steps = list(stages(plan["winningPlan"]))
        return all(step["stage"] != "COLLSCAN" for step in steps) and any(
            step["stage"] in INDEX_STAGES and step.get("indexName", "_id_") == index for step in steps
        )
    # FerretDB on SQLite: one line per step, e.g. "SEARCH t_x USING INDEX t_x__id_ (...)" or "SCAN t_x".
    lines = [str(line) for line in plan["Plan"]]
    scans = any(re.search(r"\bSCAN \w", line) for line in lines)
    return not scans and any(re.search(rf"USING INDEX \w+_{re.escape(index)}\b", line) for line in lines)


@pytest.mark.parametrize(("service", "collection"), [(s, c) for s, cs in HOT_COLLECTIONS.items() for c in cs])
async def test_a_lookup_by_id_uses_the_id_index(db: AsyncDatabase[Document], service: str, collection: str) -> None:
    await db[collection].insert_many([{"_id": f"{collection}-{i}", "tenant_id": "t", "n": i} for i in range(50)])
    explained = await db.command("explain", {"find": collection, "filter": {"_id": f"{collection}-7"}})
    assert answered_from(explained["queryPlanner"], "_id_"), (service, explained["queryPlanner"])


async def test_the_check_sees_a_scan(db: AsyncDatabase[Document]) -> None:
    """A filter on a field without an index is scanned: the check above can fail."""
    await db.scanned.insert_many([{"_id": f"s-{i}", "n": i} for i in range(50)])
    explained = await db.command("explain", {"find": "scanned", "filter": {"n": 7}})
    assert not answered_from(explained["queryPlanner"], "_id_")
    assert not answered_from(explained["queryPlanner"], "n_1")


async def test_a_lookup_by_a_secondary_index_uses_it(db: AsyncDatabase[Document]) -> None:
    """What the repositories may rely on beyond `_id` on a server with working secondary indexes."""
    await db.indexed.insert_many([{"_id": f"s-{i}", "n": i} for i in range(50)])
    await db.indexed.create_index("n")
    explained = await db.command("explain", {"find": "indexed", "filter": {"n": 7}})
    if "Plan" in explained["queryPlanner"]:
        pytest.skip("FerretDB 1.x on SQLite scans for every filter but _id, indexed or not")
    assert answered_from(explained["queryPlanner"], "n_1"), explained["queryPlanner"]
