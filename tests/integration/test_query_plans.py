"""Every hot query is answered from an index, never by scanning its collection (the database's own plan).

The services read and update documents by `_id` only (see the repositories); this asks the real server
to explain those lookups. On FerretDB it also proves the launcher's `_id` lookup patch is in the build:
without it SQLite scans the table (`SCAN <table>`) for every lookup.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from denialops_shared.mongo import Document

pytestmark = pytest.mark.integration

# What each service looks up by `_id` on its hot paths (HTTP requests, event handlers, the outbox).
HOT_COLLECTIONS = {
    "intake": ("cases", "documents", "runs", "artifacts", "api_keys", "tenants", "work_items"),
    "router": ("cases", "documents", "runs"),
    "llm-worker": ("runs", "outcomes", "letters", "llm_cache"),
    "outbox": ("outbox_retries",),
}


def answered_from_an_index(plan: dict[str, Any]) -> bool:
    text = str(plan)
    scans = "COLLSCAN" in text or re.search(r"\bSCAN \w", text) is not None  # MongoDB / FerretDB on SQLite
    indexed = any(word in text for word in ("USING INDEX", "IXSCAN", "IDHACK", "EXPRESS"))
    return indexed and not scans


@pytest.mark.parametrize(("service", "collection"), [(s, c) for s, cs in HOT_COLLECTIONS.items() for c in cs])
async def test_a_lookup_by_id_uses_the_id_index(db: AsyncDatabase[Document], service: str, collection: str) -> None:
    await db[collection].insert_many([{"_id": f"{collection}-{i}", "tenant_id": "t", "n": i} for i in range(50)])
    explained = await db.command("explain", {"find": collection, "filter": {"_id": f"{collection}-7"}})
    assert answered_from_an_index(explained["queryPlanner"]), (service, explained["queryPlanner"])


async def test_the_check_sees_a_scan(db: AsyncDatabase[Document]) -> None:
    """A filter on a field without an index is scanned: the check above can fail."""
    await db.scanned.insert_many([{"_id": f"s-{i}", "n": i} for i in range(50)])
    explained = await db.command("explain", {"find": "scanned", "filter": {"n": 7}})
    assert not answered_from_an_index(explained["queryPlanner"])
