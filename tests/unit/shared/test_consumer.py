"""The reliable-consumption wrapper on FastStream's in-memory test broker (the real broker: tests/e2e)."""

from __future__ import annotations

from typing import Any

from faststream.kafka import KafkaBroker, TestKafkaBroker
from faststream.kafka.annotations import KafkaMessage

from denialops_shared import kafka
from denialops_shared.contracts.cloudevents import InvalidEvent, ReceivedEvent, encode
from denialops_shared.contracts.events import CaseCreated, EventBody
from denialops_shared.contracts.topics import Topic
from denialops_shared.settings import ConsumerOptions, ServiceSettings

# No backoff between a failing handler's attempts.
OPTIONS = ConsumerOptions("g", retry_base_seconds=0.0)


def dead_letter_sink(broker: KafkaBroker) -> list[dict[str, Any]]:
    sink: list[dict[str, Any]] = []

    @broker.subscriber(Topic.CASE_CREATED.dead_letter, decoder=kafka.raw_body)
    async def capture(message: KafkaMessage) -> None:
        sink.append(dict(message.headers))

    return sink


def valid_event() -> tuple[bytes, dict[str, str]]:
    event = encode(Topic.CASE_CREATED, CaseCreated(tenant_id="t", case_id="case-1"), source="/test")
    return event.value, event.headers


async def test_a_valid_event_reaches_the_handler_once() -> None:
    broker = KafkaBroker()
    seen: list[ReceivedEvent[EventBody]] = []

    async def handler(event: ReceivedEvent[EventBody]) -> None:
        seen.append(event)

    kafka.subscribe(broker, OPTIONS, {Topic.CASE_CREATED: handler})
    sink = dead_letter_sink(broker)
    async with TestKafkaBroker(broker) as test_broker:
        value, headers = valid_event()
        await test_broker.publish(value, Topic.CASE_CREATED.value, key=b"case-1", headers=headers)
    assert [e.body.case_id for e in seen] == ["case-1"]
    assert sink == []


async def test_malformed_json_goes_to_the_dead_letter_topic_with_its_reason() -> None:
    broker = KafkaBroker()
    calls = 0

    async def handler(event: ReceivedEvent[EventBody]) -> None:
        nonlocal calls
        calls += 1

    kafka.subscribe(broker, OPTIONS, {Topic.CASE_CREATED: handler})
    sink = dead_letter_sink(broker)
    async with TestKafkaBroker(broker) as test_broker:
        _, headers = valid_event()
        await test_broker.publish(b"{nope", Topic.CASE_CREATED.value, key=b"case-1", headers=headers)
    assert calls == 0
    assert len(sink) == 1
    assert sink[0]["dlq_error_class"] == "bad_json"
    assert sink[0]["dlq_original_topic"] == "case.created"
    assert sink[0]["dlq_attempts"] == "0"


async def test_a_handler_that_keeps_failing_is_retried_then_dead_lettered() -> None:
    broker = KafkaBroker()
    calls = 0

    async def handler(event: ReceivedEvent[EventBody]) -> None:
        nonlocal calls
        calls += 1
        raise RuntimeError("bug")

    attempts = ServiceSettings(kafka_handler_attempts=4, kafka_handler_retry_base_seconds=0).consumer_options
    kafka.subscribe(broker, attempts, {Topic.CASE_CREATED: handler})
    sink = dead_letter_sink(broker)
    async with TestKafkaBroker(broker) as test_broker:
        value, headers = valid_event()
        await test_broker.publish(value, Topic.CASE_CREATED.value, key=b"case-1", headers=headers)
    assert calls == 4
    assert [h["dlq_error_class"] for h in sink] == ["RuntimeError"]
    assert sink[0]["dlq_attempts"] == "4"


async def test_a_handler_refusal_is_dead_lettered_at_once() -> None:
    broker = KafkaBroker()
    calls = 0

    async def handler(event: ReceivedEvent[EventBody]) -> None:
        nonlocal calls
        calls += 1
        raise InvalidEvent("tenant_mismatch", "another tenant's case")

    kafka.subscribe(broker, OPTIONS, {Topic.CASE_CREATED: handler})
    sink = dead_letter_sink(broker)
    async with TestKafkaBroker(broker) as test_broker:
        value, headers = valid_event()
        await test_broker.publish(value, Topic.CASE_CREATED.value, key=b"case-1", headers=headers)
    assert calls == 1
    assert [h["dlq_error_class"] for h in sink] == ["tenant_mismatch"]


async def test_a_transient_failure_recovers_on_a_later_attempt() -> None:
    broker = KafkaBroker()
    outcomes = [RuntimeError("flaky"), None]

    async def handler(event: ReceivedEvent[EventBody]) -> None:
        outcome = outcomes.pop(0)
        if outcome is not None:
            raise outcome

    kafka.subscribe(broker, OPTIONS, {Topic.CASE_CREATED: handler})
    sink = dead_letter_sink(broker)
    async with TestKafkaBroker(broker) as test_broker:
        value, headers = valid_event()
        await test_broker.publish(value, Topic.CASE_CREATED.value, key=b"case-1", headers=headers)
    assert outcomes == []
    assert sink == []
