"""What the integration tests share: events as a consumer receives them, and an intake over a real database."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from faststream.kafka import KafkaBroker
from pymongo import monitoring
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


# How CommandCounter names the shared outbox's clearing writes, so a service's own commands are told apart.
CLEAR_OUTBOX = "clear outbox"


def _clears_outbox(command: Mapping[str, Any]) -> bool:
    """An update command whose every statement removes published events from an outbox (`Outbox`'s clears)."""
    updates: list[Document] = list(command.get("updates") or []) if "update" in command else []
    return bool(updates) and all(set(u["u"]) == {"$pullAll"} and "outbox" in u["u"]["$pullAll"] for u in updates)


class CommandCounter(monitoring.CommandListener):
    """Counts the commands sent to one database, by (command, collection): what a design costs, as a number.
    The outbox's clears count as (CLEAR_OUTBOX, collection)."""

    def __init__(self, database: str) -> None:
        self.database = database
        self.seen: Counter[tuple[str, str]] = Counter()

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.database_name == self.database:
            target = event.command.get(event.command_name)
            name = CLEAR_OUTBOX if _clears_outbox(event.command) else event.command_name
            self.seen[(name, target if isinstance(target, str) else "")] += 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass
