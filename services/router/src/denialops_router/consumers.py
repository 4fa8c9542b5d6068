"""Router's Kafka entrypoints."""

from typing import Literal

from faststream.kafka import KafkaBroker

from denialops_router.handlers import Router
from denialops_shared.contracts.topics import Topic
from denialops_shared.kafka import subscribe


def register(
    broker: KafkaBroker,
    group_id: str,
    router: Router,
    auto_offset_reset: Literal["earliest", "latest"] = "earliest",
) -> None:
    subscribe(
        broker,
        group_id,
        {
            Topic.CASE_CREATED: router.on_case_created,
            Topic.DOCUMENT_ADDED: router.on_document_added,
            Topic.RUN_REQUESTED: router.on_run_requested,
            Topic.RUN_CANCELLED: router.on_run_cancelled,
        },
        auto_offset_reset,
    )
