"""A producer aiokafka gave up (out-of-order sequence after a broker crash) is replaced; sends go on."""

from __future__ import annotations

import asyncio

import pytest
from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.errors import OutOfOrderSequenceNumber
from faststream.kafka import KafkaBroker

from denialops_shared.kafka_producer import Record, current_producer, send, send_all
from denialops_shared.metrics import PRODUCER_RENEWALS
from denialops_shared.settings import ServiceSettings
from tests.kafka_helpers import collect

pytestmark = pytest.mark.integration

KEY = b"case-1"


async def skip_sequence(producer: AIOKafkaProducer, topic: str) -> None:
    """What a broker that lost the tail of a partition sees: the producer's next sequence is ahead of its own."""
    for partition in await producer.partitions_for(topic):
        producer._txn_manager.increment_sequence_number(TopicPartition(topic, partition), 5)


async def test_the_broken_producer_stays_broken_without_renewal(settings: ServiceSettings, unique: str) -> None:
    """The aiokafka behaviour the renewal exists for, shown on the real broker (and proof the fault is real)."""
    topic = f"it-renewal-control-{unique}"
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        await producer.send_and_wait(topic, b"first", key=KEY)
        await skip_sequence(producer, topic)
        with pytest.raises(OutOfOrderSequenceNumber):
            await producer.send_and_wait(topic, b"second", key=KEY)
        with pytest.raises(OutOfOrderSequenceNumber):
            await producer.send_and_wait(topic, b"third", key=KEY)
    finally:
        await producer.stop()


async def test_sends_after_an_out_of_order_sequence_go_through_a_new_producer(
    broker: KafkaBroker, settings: ServiceSettings, unique: str
) -> None:
    topic = f"it-renewal-{unique}"
    await send(broker, b"before", topic, KEY, {})
    broken = current_producer(broker)
    renewals = PRODUCER_RENEWALS._value.get()
    await skip_sequence(broken, topic)

    # Several sends fail together on the dead producer; one replacement serves them all.
    await asyncio.gather(*(send(broker, f"after-{n}".encode(), topic, KEY, {"n": str(n)}) for n in range(5)))
    await send(broker, b"later", topic, KEY, {})

    assert current_producer(broker) is not broken
    assert PRODUCER_RENEWALS._value.get() == renewals + 1
    records = await collect(settings.kafka_bootstrap_servers, topic, lambda r: True, count=7)
    assert {r.value for r in records} == {b"before", b"later", *(f"after-{n}".encode() for n in range(5))}


async def test_records_sent_together_keep_their_order(
    broker: KafkaBroker, settings: ServiceSettings, unique: str
) -> None:
    topic = f"it-order-{unique}"
    # Acknowledged together, so they travel in few produce requests; one key, so one partition, in order.
    await send_all(broker, [Record(str(n).encode(), topic, KEY, {"n": str(n)}) for n in range(300)])
    records = await collect(settings.kafka_bootstrap_servers, topic, lambda r: True, count=300)
    assert [int(r.value) for r in records] == list(range(300))


async def test_records_sent_together_after_an_out_of_order_sequence_all_arrive(
    broker: KafkaBroker, settings: ServiceSettings, unique: str
) -> None:
    topic = f"it-renewal-batch-{unique}"
    await send(broker, b"before", topic, KEY, {})
    broken = current_producer(broker)
    renewals = PRODUCER_RENEWALS._value.get()
    await skip_sequence(broken, topic)

    await send_all(broker, [Record(f"after-{n}".encode(), topic, KEY, {}) for n in range(5)])

    assert current_producer(broker) is not broken
    assert PRODUCER_RENEWALS._value.get() == renewals + 1
    records = await collect(settings.kafka_bootstrap_servers, topic, lambda r: True, count=6)
    assert {r.value for r in records} == {b"before", *(f"after-{n}".encode() for n in range(5))}
