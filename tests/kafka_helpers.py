"""Test helpers that talk to the real broker with plain aiokafka (independent of the code under test)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord

from denialops_shared.contracts.cloudevents import EncodedEvent


async def produce(bootstrap: str, events: list[EncodedEvent]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        for event in events:
            await producer.send_and_wait(
                event.topic,
                event.value,
                key=event.key.encode(),
                headers=[(k, v.encode()) for k, v in event.headers.items()],
            )
    finally:
        await producer.stop()


async def produce_raw(bootstrap: str, topic: str, key: bytes, value: bytes, headers: dict[str, str]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(topic, value, key=key, headers=[(k, v.encode()) for k, v in headers.items()])
    finally:
        await producer.stop()


def headers_of(record: ConsumerRecord[bytes, bytes]) -> dict[str, str]:
    # Topics hold hostile records too (tests publish headers that are not UTF-8).
    return {k: v.decode(errors="replace") for k, v in record.headers}


async def collect(
    bootstrap: str,
    topic: str,
    match: Callable[[ConsumerRecord[bytes, bytes]], bool],
    count: int,
    wait_seconds: float = 30.0,
) -> list[ConsumerRecord[bytes, bytes]]:
    """Read `topic` from the beginning until `count` matching records were seen or `wait_seconds` passed."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", group_id=None)
    await consumer.start()
    found: list[ConsumerRecord[bytes, bytes]] = []
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait_seconds
        while len(found) < count and loop.time() < deadline:
            batches = await consumer.getmany(timeout_ms=500)
            for records in batches.values():
                found.extend(r for r in records if match(r))
    finally:
        await consumer.stop()
    return found
