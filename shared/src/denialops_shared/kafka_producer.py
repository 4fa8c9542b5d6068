"""Sending records through the broker's producer, replacing the producer when aiokafka gives it up.

aiokafka's idempotent producer stops its sender for good on OutOfOrderSequenceNumber: every later send
fails until the process restarts (aio-libs/aiokafka#1017). The broker answers that when it no longer
has the sequence the producer expects, e.g. after a broker crash lost the tail of a partition. A
service must not go deaf until someone restarts it, so the producer is replaced (a new producer id
starts a new sequence) and the send tried once more. Events carry fixed ids and every consumer
deduplicates, so a record both the old and the new producer wrote is harmless.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import OutOfOrderSequenceNumber
from faststream.kafka import KafkaBroker

from denialops_shared.metrics import PRODUCER_RENEWALS

log = logging.getLogger(__name__)

# Errors after which aiokafka's producer never sends again.
FATAL_TO_PRODUCER: tuple[type[Exception], ...] = (OutOfOrderSequenceNumber,)

_renewal_locks: weakref.WeakKeyDictionary[KafkaBroker, asyncio.Lock] = weakref.WeakKeyDictionary()


def current_producer(broker: KafkaBroker) -> AIOKafkaProducer | None:
    """The aiokafka producer FastStream sends through (FastStream offers no public way to replace it);
    None for FastStream's in-memory test broker."""
    state = getattr(broker.config.broker_config.producer, "_producer", None)
    producer = getattr(state, "producer", None) if state else None
    return producer if isinstance(producer, AIOKafkaProducer) else None


@dataclass(frozen=True, slots=True)
class Record:
    value: bytes
    topic: str
    key: bytes | None
    headers: dict[str, str]


async def send(broker: KafkaBroker, value: bytes, topic: str, key: bytes | None, headers: dict[str, str]) -> None:
    """Publish and wait for the acknowledgement; on a fatal producer error, replace the producer and retry once."""
    await send_all(broker, [Record(value, topic, key, headers)])


async def send_all(broker: KafkaBroker, records: Sequence[Record]) -> None:
    """Publish `records` in their order and wait for all acknowledgements together.

    Each record is queued on the producer without waiting for its acknowledgement, so records sent
    together travel in one produce request. Order is kept per partition: the records are queued one
    after the other, and aiokafka sends at most one request per broker at a time, retrying a failed
    batch before the next (with idempotence no retry reorders). On a fatal producer error the producer
    is replaced and every record sent once more (consumers deduplicate what both wrote).
    """
    producer = current_producer(broker)
    try:
        await _send_in_order(broker, records)
    except FATAL_TO_PRODUCER as exc:
        if producer is None:
            raise
        await _renew(broker, producer, type(exc).__name__)
        await _send_in_order(broker, records)


async def _send_in_order(broker: KafkaBroker, records: Sequence[Record]) -> None:
    acks: list[asyncio.Future[Any]] = []
    try:
        for r in records:
            ack = await broker.publish(r.value, r.topic, key=r.key, headers=r.headers, no_confirm=True)
            # FastStream's in-memory test broker delivers at once and returns no future.
            if isinstance(ack, asyncio.Future):
                acks.append(ack)
    finally:
        # Every queued record's outcome is awaited, even when a later one could not be queued.
        outcomes = await asyncio.gather(*acks, return_exceptions=True)
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome


async def _renew(broker: KafkaBroker, failed: AIOKafkaProducer, reason: str) -> None:
    # Every send queued on the dead producer fails at once; the first replaces it, the rest reuse that.
    async with _renewal_locks.setdefault(broker, asyncio.Lock()):
        if current_producer(broker) is not failed:
            return
        state: Any = broker.config.broker_config.producer
        await state.disconnect()
        await state.connect(
            AIOKafkaProducer(**broker._connection_kwargs),
            serializer=state.serializer,
            codec=state.codec,
        )
    PRODUCER_RENEWALS.inc()
    log.warning("kafka.producer.renewed", extra={"reason": reason})
