"""Fixtures on the real broker and database: a unique database per test, a started broker."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from faststream.kafka import KafkaBroker
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from denialops_shared.kafka import create_broker, ensure_topics
from denialops_shared.mongo import Document
from denialops_shared.settings import ServiceSettings
from tests.infra import Endpoints
from tests.integration.intake_api import Api, api_for
from tests.integration.support import CommandCounter, make_intake

pytestmark = pytest.mark.integration


@pytest.fixture
def settings(infra: Endpoints, unique: str) -> ServiceSettings:
    return ServiceSettings(
        service_name=f"it-{unique}",
        kafka_bootstrap_servers=infra.kafka_bootstrap_servers,
        mongodb_uri=infra.mongodb_uri,
        mongodb_database=f"it_{unique}",
    )


@pytest.fixture
async def db(settings: ServiceSettings) -> AsyncIterator[AsyncDatabase[Document]]:
    client: AsyncMongoClient[Document] = AsyncMongoClient(settings.mongodb_uri.get_secret_value(), tz_aware=True)
    database = client[settings.mongodb_database]
    yield database
    await client.drop_database(settings.mongodb_database)
    await client.close()


@pytest.fixture
async def broker(settings: ServiceSettings) -> AsyncIterator[KafkaBroker]:
    await ensure_topics(settings)
    kafka = create_broker(settings)
    await kafka.start()
    yield kafka
    await kafka.stop()


@pytest.fixture
async def api(db: AsyncDatabase[Document], broker: KafkaBroker) -> AsyncIterator[Api]:
    async with api_for(make_intake(db, broker)) as served:
        yield served


@pytest.fixture
async def counted(settings: ServiceSettings) -> AsyncIterator[tuple[AsyncDatabase[Document], CommandCounter]]:
    """The test's database through a client whose every command on it is counted."""
    commands = CommandCounter(settings.mongodb_database)
    client: AsyncMongoClient[Document] = AsyncMongoClient(
        settings.mongodb_uri.get_secret_value(), tz_aware=True, event_listeners=[commands]
    )
    yield client[settings.mongodb_database], commands
    await client.close()
