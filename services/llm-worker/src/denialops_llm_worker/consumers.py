"""llm-worker's Kafka entrypoints."""

from faststream.kafka import KafkaBroker

from denialops_llm_worker.handlers import Generator
from denialops_shared.contracts.topics import Topic
from denialops_shared.kafka import subscribe
from denialops_shared.settings import ConsumerOptions


def register(broker: KafkaBroker, options: ConsumerOptions, generator: Generator) -> None:
    subscribe(
        broker,
        options,
        {
            Topic.DOCUMENT_ADDED: generator.on_document_added,
            Topic.STAGE_COMPLETED: generator.on_stage_completed,
            Topic.RUN_CANCELLED: generator.on_run_cancelled,
        },
        generator.on_events,
    )
