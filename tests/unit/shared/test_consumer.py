"""The reliable-consumption wrapper on FastStream's in-memory test broker (the real broker: tests/e2e)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from faststream.kafka import KafkaBroker, TestKafkaBroker
from faststream.kafka.annotations import KafkaMessage
from prometheus_client import REGISTRY
from pymongo.errors import ConnectionFailure

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
        await test_broker.publish(value, Topic.CASE_CREATED.value, headers=headers)
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
        await test_broker.publish(b"{nope", Topic.CASE_CREATED.value, headers=headers)
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
        await test_broker.publish(value, Topic.CASE_CREATED.value, headers=headers)
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
        await test_broker.publish(value, Topic.CASE_CREATED.value, headers=headers)
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
        await test_broker.publish(value, Topic.CASE_CREATED.value, headers=headers)
    assert outcomes == []
    assert sink == []


# -- the group hook: one case's consecutive records of a batch offered together -------------------------


def test_stretches_put_each_invalid_record_alone_between_runs_of_valid_ones() -> None:
    assert kafka.stretches([]) == []
    assert kafka.stretches([True, True, False, True, False, False, True, True, True]) == [
        range(0, 2),
        range(2, 3),
        range(3, 4),
        range(4, 5),
        range(5, 6),
        range(6, 9),
    ]


def case_created(source: str) -> bytes:
    return encode(Topic.CASE_CREATED, CaseCreated(tenant_id="t", case_id="case-1", source=source), source="/t").value


def source(event: ReceivedEvent[EventBody]) -> str:
    assert isinstance(event.body, CaseCreated)
    return event.body.source


class Recorder:
    """Per-record and group handlers that note what they were given; the group takes `take` events."""

    def __init__(self, take: int | Exception) -> None:
        self.take = take
        self.alone: list[str] = []
        self.offered: list[list[str]] = []

    async def handler(self, event: ReceivedEvent[EventBody]) -> None:
        self.alone.append(source(event))

    async def group(self, events: Sequence[ReceivedEvent[EventBody]]) -> int:
        self.offered.append([source(e) for e in events])
        if isinstance(self.take, Exception):
            raise self.take
        return min(self.take, len(events))


async def consume_batch(recorder: Recorder, *values: bytes) -> list[dict[str, Any]]:
    broker = KafkaBroker()
    kafka.subscribe(broker, OPTIONS, {Topic.CASE_CREATED: recorder.handler}, recorder.group)
    sink = dead_letter_sink(broker)
    _, headers = valid_event()
    async with TestKafkaBroker(broker) as test_broker:
        await test_broker.publish_batch(*values, topic=Topic.CASE_CREATED.value, headers=headers)
    return sink


async def test_the_group_handler_is_offered_runs_of_valid_records_and_an_invalid_one_splits_them() -> None:
    recorder = Recorder(take=2)
    sink = await consume_batch(
        recorder, case_created("/1"), case_created("/2"), case_created("/3"), b"{nope", case_created("/4")
    )
    # /1 and /2 taken together; /3 is the rest of its run (alone); /4 is alone after the dead letter.
    assert recorder.offered == [["/1", "/2", "/3"]]
    assert recorder.alone == ["/3", "/4"]
    assert [h["dlq_error_class"] for h in sink] == ["bad_json"]


async def test_what_the_group_handler_declines_goes_one_by_one_and_the_rest_is_offered_again() -> None:
    recorder = Recorder(take=0)
    await consume_batch(recorder, case_created("/1"), case_created("/2"), case_created("/3"))
    assert recorder.offered == [["/1", "/2", "/3"], ["/2", "/3"]]
    assert recorder.alone == ["/1", "/2", "/3"]


@pytest.mark.parametrize("failure", [InvalidEvent("tenant_mismatch", "not yours"), RuntimeError("bug")])
async def test_a_failed_group_is_handled_again_one_record_at_a_time_and_counted(failure: Exception) -> None:
    fallbacks = (
        REGISTRY.get_sample_value("denialops_event_group_fallbacks_total", {"error_class": type(failure).__name__})
        or 0.0
    )
    recorder = Recorder(take=failure)
    sink = await consume_batch(recorder, case_created("/1"), case_created("/2"), case_created("/3"))
    assert recorder.offered == [["/1", "/2", "/3"]], "offered once: after a failure each record goes alone"
    assert recorder.alone == ["/1", "/2", "/3"]
    assert sink == []
    after = REGISTRY.get_sample_value("denialops_event_group_fallbacks_total", {"error_class": type(failure).__name__})
    assert after == fallbacks + 1


async def test_a_transient_failure_of_a_group_rewinds_the_batch() -> None:
    recorder = Recorder(take=ConnectionFailure("database down"))
    options = ConsumerOptions("g", retry_base_seconds=0.0, redelivery_pause_seconds=0.0)
    broker = KafkaBroker()
    kafka.subscribe(broker, options, {Topic.CASE_CREATED: recorder.handler}, recorder.group)
    _, headers = valid_event()
    async with TestKafkaBroker(broker) as test_broker:
        with pytest.raises(ExceptionGroup) as raised:  # out of the batch's task group: the batch is nacked
            await test_broker.publish_batch(
                case_created("/1"), case_created("/2"), topic=Topic.CASE_CREATED.value, headers=headers
            )
    assert raised.value.subgroup(ConnectionFailure) is not None
    assert recorder.alone == [], "nothing handled alone: the whole batch comes again"


async def test_records_taken_by_a_group_count_as_processed_one_by_one() -> None:
    labels = {"topic": Topic.CASE_CREATED.value, "outcome": "processed"}
    before = REGISTRY.get_sample_value("denialops_events_consumed_total", labels) or 0.0
    handled_before = REGISTRY.get_sample_value(
        "denialops_event_handler_duration_seconds_count", {"topic": "case.created"}
    )
    await consume_batch(Recorder(take=2), case_created("/1"), case_created("/2"))
    assert REGISTRY.get_sample_value("denialops_events_consumed_total", labels) == before + 2
    handled = REGISTRY.get_sample_value("denialops_event_handler_duration_seconds_count", {"topic": "case.created"})
    assert handled == (handled_before or 0.0) + 2
