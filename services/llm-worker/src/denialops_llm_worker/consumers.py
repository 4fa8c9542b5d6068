"""llm-worker's Kafka entrypoints."""

from faststream.kafka import KafkaBroker

from denialops_llm_worker.handlers import Generator
from denialops_shared.contracts.topics import Topic
from denialops_shared.kafka import subscribe

GROUP_ID = "denialops-llm-worker"


def register(broker: KafkaBroker, generator: Generator) -> None:
    subscribe(
        broker,
        GROUP_ID,
        {
            Topic.STAGE_COMPLETED: generator.on_stage_completed,
            Topic.RUN_CANCELLED: generator.on_run_cancelled,
        },
    )
