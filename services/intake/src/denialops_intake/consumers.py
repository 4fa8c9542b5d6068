"""Intake's Kafka entrypoints: project upstream cases/documents and every stage result; split
upstream 835 remittances into cases."""

from faststream.kafka import KafkaBroker

from denialops_intake.handlers import Intake
from denialops_intake.remittances import RemittanceIntake
from denialops_shared.contracts.topics import Topic
from denialops_shared.kafka import subscribe
from denialops_shared.settings import ConsumerOptions


def register(broker: KafkaBroker, options: ConsumerOptions, intake: Intake, remittances: RemittanceIntake) -> None:
    subscribe(
        broker,
        options,
        {
            Topic.CASE_CREATED: intake.on_case_created,
            Topic.DOCUMENT_ADDED: intake.on_document_added,
            Topic.STAGE_COMPLETED: intake.on_stage_completed,
            Topic.REMITTANCE_RECEIVED: remittances.on_remittance_received,
        },
        intake.on_events,
    )
