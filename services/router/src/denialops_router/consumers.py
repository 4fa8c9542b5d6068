"""Router's Kafka entrypoints."""

from faststream.kafka import KafkaBroker

from denialops_router.handlers import Router
from denialops_shared.contracts.topics import Topic
from denialops_shared.kafka import subscribe
from denialops_shared.settings import ConsumerOptions


def register(broker: KafkaBroker, options: ConsumerOptions, router: Router) -> None:
    subscribe(
        broker,
        options,
        {
            Topic.CASE_CREATED: router.on_case_created,
            Topic.DOCUMENT_ADDED: router.on_document_added,
            Topic.RUN_REQUESTED: router.on_run_requested,
            Topic.RUN_CANCELLED: router.on_run_cancelled,
        },
        router.on_events,
    )
