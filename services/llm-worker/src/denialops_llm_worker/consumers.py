"""llm-worker's Kafka entrypoints."""

from typing import Literal

from faststream.kafka import KafkaBroker

from denialops_llm_worker.handlers import Generator
from denialops_shared.contracts.topics import Topic
from denialops_shared.kafka import subscribe


def register(
    broker: KafkaBroker,
    group_id: str,
    generator: Generator,
    auto_offset_reset: Literal["earliest", "latest"] = "earliest",
) -> None:
    subscribe(
        broker,
        group_id,
        {
            Topic.DOCUMENT_ADDED: generator.on_document_added,
            Topic.STAGE_COMPLETED: generator.on_stage_completed,
            Topic.RUN_CANCELLED: generator.on_run_cancelled,
        },
        auto_offset_reset,
    )
