"""Router's Kafka entrypoints."""

from faststream.kafka import KafkaBroker

from denialops_router.handlers import Router
from denialops_shared.contracts.topics import Topic
from denialops_shared.kafka import subscribe

GROUP_ID = "denialops-router"


def register(broker: KafkaBroker, router: Router) -> None:
    subscribe(broker, Topic.CASE_CREATED, GROUP_ID, router.on_case_created)
    subscribe(broker, Topic.DOCUMENT_ADDED, GROUP_ID, router.on_document_added)
    subscribe(broker, Topic.RUN_REQUESTED, GROUP_ID, router.on_run_requested)
    subscribe(broker, Topic.RUN_CANCELLED, GROUP_ID, router.on_run_cancelled)
