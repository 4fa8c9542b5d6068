"""What the integration tests share: events as a consumer receives them, and an intake over a real database."""

from __future__ import annotations

from faststream.kafka import KafkaBroker
from pymongo.asynchronous.database import AsyncDatabase

from denialops_intake.handlers import Intake
from denialops_intake.repository import IntakeRepository
from denialops_intake.tenants import TenantStore
from denialops_shared.contracts.cloudevents import ReceivedEvent, decode, encode
from denialops_shared.contracts.events import EventBody
from denialops_shared.contracts.topics import Topic
from denialops_shared.mongo import Document
from denialops_shared.outbox import Outbox


def received(topic: Topic, body: EventBody, source: str = "/it") -> ReceivedEvent[EventBody]:
    """`body` encoded and decoded exactly as a consumer gets it from Kafka."""
    event = encode(topic, body, source=source)
    return decode(topic, event.headers, event.value)


def make_intake(db: AsyncDatabase[Document], broker: KafkaBroker, repo: IntakeRepository | None = None) -> Intake:
    cases, documents, runs = (Outbox(db[name], broker, 1.0) for name in ("cases", "documents", "runs"))
    return Intake(repo or IntakeRepository(db), cases, documents, runs, TenantStore(db))
