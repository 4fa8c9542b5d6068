"""The batch consumer on the real broker: cases handled concurrently, each case's records in order, poison alone."""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from collections.abc import Sequence

import pytest
from aiokafka import AIOKafkaProducer
from faststream.kafka.annotations import KafkaMessage

from denialops_shared.contracts.cloudevents import ReceivedEvent, encode
from denialops_shared.contracts.events import CaseCreated, EventBody
from denialops_shared.contracts.topics import Topic
from denialops_shared.kafka import create_broker, ensure_topics, raw_body, subscribe, wait_for_assignment
from denialops_shared.settings import ConsumerOptions, ServiceSettings

pytestmark = pytest.mark.integration

CASES = 12
RECORDS_PER_CASE = 4


async def test_cases_run_concurrently_in_order_and_a_bad_header_is_dead_lettered_alone(
    settings: ServiceSettings, unique: str
) -> None:
    await ensure_topics(settings)
    tenant = f"batch-{unique}"
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers)
    await producer.start()
    try:
        # Everything is published before the consumer starts, so its first fetches return full batches.
        for n in range(RECORDS_PER_CASE):
            for c in range(CASES):
                body = CaseCreated(tenant_id=tenant, case_id=f"case-{unique}-{c}", source=f"/seq/{n}")
                event = encode(Topic.CASE_CREATED, body, source="/test")
                headers = [(k, v.encode()) for k, v in event.headers.items()]
                await producer.send(event.topic, event.value, key=event.key.encode(), headers=headers)
        poison = encode(Topic.CASE_CREATED, CaseCreated(tenant_id=tenant, case_id=f"case-{unique}-bad"), source="/t")
        bad_headers = [(k, v.encode()) for k, v in poison.headers.items()] + [("note", b"\xff\xfe not utf-8")]
        await producer.send(poison.topic, poison.value, key=poison.key.encode(), headers=bad_headers)
        await producer.flush()
    finally:
        await producer.stop()

    seen: dict[str, list[str]] = defaultdict(list)
    in_flight = 0
    most_in_flight = 0

    async def handler(event: ReceivedEvent[EventBody]) -> None:
        nonlocal in_flight, most_in_flight
        if event.body.tenant_id != tenant:
            return  # other tests' records on the shared topic
        assert isinstance(event.body, CaseCreated)
        in_flight += 1
        most_in_flight = max(most_in_flight, in_flight)
        await asyncio.sleep(0.02)  # a database round trip
        seen[event.body.case_id].append(event.body.source)
        in_flight -= 1

    broker = create_broker(settings)
    subscribe(
        broker,
        ConsumerOptions(f"it-batch-{unique}", "earliest", concurrency=8, max_batch=500),
        {Topic.CASE_CREATED: handler},
    )
    dead: list[dict[str, str]] = []

    @broker.subscriber(
        Topic.CASE_CREATED.dead_letter,
        group_id=f"it-dlq-{uuid.uuid4().hex}",
        auto_offset_reset="earliest",
        decoder=raw_body,
    )
    async def capture(message: KafkaMessage) -> None:
        if message.headers.get("ce_tenantid") == tenant:
            dead.append(dict(message.headers))

    await broker.start()
    try:
        assert await wait_for_assignment(broker, 30)
        for _ in range(300):
            if sum(len(v) for v in seen.values()) == CASES * RECORDS_PER_CASE and dead:
                break
            await asyncio.sleep(0.1)
    finally:
        await broker.stop()

    assert len(seen) == CASES
    for sources in seen.values():
        assert sources == [f"/seq/{n}" for n in range(RECORDS_PER_CASE)], "one case's records stay in order"
    assert 1 < most_in_flight <= 8, "several cases at once, never more than the bound"
    assert f"case-{unique}-bad" not in seen
    assert [(d["dlq_error_class"], d["denialops_invalid_headers"]) for d in dead] == [("bad_header", "note")]


async def test_one_cases_records_of_a_batch_are_offered_to_the_group_hook_and_a_poison_record_splits_them(
    settings: ServiceSettings, unique: str
) -> None:
    await ensure_topics(settings)
    tenant = f"group-{unique}"
    poisoned = f"case-{unique}-poisoned"
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers)
    await producer.start()
    try:
        # Published before the consumer starts, so each case's two records come in one batch.
        for c in [*range(CASES), "poisoned"]:
            case_id = f"case-{unique}-{c}"
            for n in range(2):
                body = CaseCreated(tenant_id=tenant, case_id=case_id, source=f"/seq/{n}")
                event = encode(Topic.CASE_CREATED, body, source="/test")
                headers = [(k, v.encode()) for k, v in event.headers.items()]
                if case_id == poisoned and n == 1:
                    await producer.send(event.topic, b"{nope", key=event.key.encode(), headers=headers)
                await producer.send(event.topic, event.value, key=event.key.encode(), headers=headers)
        await producer.flush()
    finally:
        await producer.stop()

    alone: dict[str, list[str]] = defaultdict(list)
    together: dict[str, list[str]] = defaultdict(list)

    def mine(event: ReceivedEvent[EventBody]) -> CaseCreated | None:
        body = event.body
        return body if isinstance(body, CaseCreated) and body.tenant_id == tenant else None

    async def handler(event: ReceivedEvent[EventBody]) -> None:
        if (body := mine(event)) is not None:
            alone[body.case_id].append(body.source)

    async def group(events: Sequence[ReceivedEvent[EventBody]]) -> int:
        first, second = mine(events[0]), mine(events[1])
        if first is None or second is None:
            return 0  # other tests' records on the shared topic
        together[first.case_id].extend([first.source, second.source])
        return 2

    broker = create_broker(settings)
    subscribe(
        broker,
        ConsumerOptions(f"it-group-{unique}", "earliest", concurrency=8, max_batch=500),
        {Topic.CASE_CREATED: handler},
        group,
    )
    await broker.start()
    try:
        assert await wait_for_assignment(broker, 30)
        for _ in range(300):
            if sum(map(len, alone.values())) + sum(map(len, together.values())) == 2 * (CASES + 1):
                break
            await asyncio.sleep(0.1)
    finally:
        await broker.stop()

    assert alone.pop(poisoned) == ["/seq/0", "/seq/1"], "the dead-lettered record split the case's two"
    assert poisoned not in together
    for c in range(CASES):
        case_id = f"case-{unique}-{c}"
        assert sorted(together.get(case_id, []) + alone.get(case_id, [])) == ["/seq/0", "/seq/1"], "each once"
    assert together, "records of one case that came in one batch were offered together"
    assert all(sources == ["/seq/0", "/seq/1"] for sources in together.values()), "in order"
