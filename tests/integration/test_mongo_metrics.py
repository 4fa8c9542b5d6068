"""Every database command a service sends is counted by command and collection, and timed."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY

from denialops_shared.mongo import create_client, database
from denialops_shared.settings import ServiceSettings

pytestmark = pytest.mark.integration


def sample(name: str, labels: dict[str, str]) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_commands_are_counted_by_collection_and_timed(settings: ServiceSettings, unique: str) -> None:
    collection_name = f"metered_{unique}"
    timed_before = sample("denialops_mongo_command_duration_seconds_count", {"command": "find"})
    client = create_client(settings)
    try:
        collection = database(client, settings)[collection_name]
        await collection.insert_one({"_id": "a"})
        await collection.find_one({"_id": "a"})
        await collection.find_one({"_id": "b"})
        await client.drop_database(settings.mongodb_database)
    finally:
        await client.close()

    assert sample("denialops_mongo_commands_total", {"command": "insert", "collection": collection_name}) == 1
    assert sample("denialops_mongo_commands_total", {"command": "find", "collection": collection_name}) == 2
    assert sample("denialops_mongo_command_duration_seconds_count", {"command": "find"}) >= timed_before + 2
