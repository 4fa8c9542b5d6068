"""Kafka consumer lag per group, topic and partition: the end offset minus the committed offset."""

from __future__ import annotations

from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient


@dataclass(frozen=True, slots=True)
class PartitionLag:
    group: str
    topic: str
    partition: int
    lag: int


async def consumer_lag(bootstrap_servers: str, groups: list[str]) -> list[PartitionLag]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, client_id="denialops-health-lag")
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap_servers, client_id="denialops-health-lag")
    await admin.start()
    await consumer.start()
    try:
        committed: dict[str, dict[TopicPartition, int]] = {}
        for group in groups:
            offsets = await admin.list_consumer_group_offsets(group)
            committed[group] = {tp: meta.offset for tp, meta in offsets.items() if meta.offset >= 0}
        partitions = {tp for offsets in committed.values() for tp in offsets}
        ends = await consumer.end_offsets(list(partitions)) if partitions else {}
        return [
            PartitionLag(group, tp.topic, tp.partition, max(0, ends[tp] - offset))
            for group, offsets in committed.items()
            for tp, offset in sorted(offsets.items())
            if tp in ends
        ]
    finally:
        await consumer.stop()
        await admin.close()
