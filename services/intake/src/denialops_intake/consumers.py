"""Intake's Kafka entrypoints: project upstream cases/documents and every stage result."""

from faststream.kafka import KafkaBroker

from denialops_intake.handlers import Intake
from denialops_shared.contracts.topics import Topic
from denialops_shared.kafka import subscribe

GROUP_ID = "denialops-intake"


def register(broker: KafkaBroker, intake: Intake) -> None:
    subscribe(broker, Topic.CASE_CREATED, GROUP_ID, intake.on_case_created)
    subscribe(broker, Topic.DOCUMENT_ADDED, GROUP_ID, intake.on_document_added)
    subscribe(broker, Topic.STAGE_COMPLETED, GROUP_ID, intake.on_stage_completed)
