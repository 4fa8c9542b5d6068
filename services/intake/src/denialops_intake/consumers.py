"""Intake's Kafka entrypoints: project upstream cases/documents and every stage result."""

from typing import Literal

from faststream.kafka import KafkaBroker

from denialops_intake.handlers import Intake
from denialops_shared.contracts.topics import Topic
from denialops_shared.kafka import subscribe


def register(
    broker: KafkaBroker,
    group_id: str,
    intake: Intake,
    auto_offset_reset: Literal["earliest", "latest"] = "earliest",
) -> None:
    subscribe(
        broker,
        group_id,
        {
            Topic.CASE_CREATED: intake.on_case_created,
            Topic.DOCUMENT_ADDED: intake.on_document_added,
            Topic.STAGE_COMPLETED: intake.on_stage_completed,
        },
        auto_offset_reset,
    )
