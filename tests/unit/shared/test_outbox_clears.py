"""How the outbox writes its clears: bulk writes of at most MAX_BULK statements, one at a time (a fake
collection records them; tests/integration/test_outbox.py runs the same on FerretDB)."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest
from pymongo import UpdateOne

from denialops_shared.outbox import MAX_BULK, _Clears


class FakeCollection:
    name = "things"

    def __init__(self, fail: bool = False) -> None:
        self.database = SimpleNamespace(name="db", client=object())
        self.bulks: list[list[UpdateOne]] = []
        self.in_flight = self.most_in_flight = 0
        self.fail = fail

    async def bulk_write(self, requests: list[UpdateOne]) -> None:
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        await asyncio.sleep(0.001)
        self.in_flight -= 1
        if self.fail:
            raise ConnectionError("database down")
        self.bulks.append(requests)


def clears(collection: FakeCollection) -> _Clears:
    fake: Any = collection
    return _Clears(fake)


async def test_clears_queued_together_go_in_bulks_of_at_most_max_bulk_one_at_a_time() -> None:
    things = FakeCollection()
    writer = clears(things)
    await asyncio.gather(*(writer.clear(f"d{i}", [{"n": i}]) for i in range(100)))
    assert [len(bulk) for bulk in things.bulks] == [MAX_BULK, MAX_BULK, 100 - 2 * MAX_BULK]
    assert things.most_in_flight == 1
    first = things.bulks[0][0]
    assert first._filter == {"_id": "d0"}
    assert first._doc == {"$pullAll": {"outbox": [{"n": 0}]}}


async def test_clears_of_one_document_share_one_statement() -> None:
    things = FakeCollection()
    writer = clears(things)
    await asyncio.gather(writer.clear("d", [{"n": 1}]), writer.clear("d", [{"n": 2}, {"n": 1}]))
    assert len(things.bulks) == 1
    [statement] = things.bulks[0]
    assert statement._doc == {"$pullAll": {"outbox": [{"n": 1}, {"n": 2}]}}


async def test_a_failed_bulk_fails_its_waiters_and_the_next_clears_still_go() -> None:
    things = FakeCollection(fail=True)
    writer = clears(things)
    with pytest.raises(ConnectionError):
        await writer.clear("d", [{"n": 1}])
    things.fail = False
    await writer.clear("d", [{"n": 1}])
    assert len(things.bulks) == 1
