"""Kafka plumbing on FastStream/aiokafka: the broker, topic creation and reliable consumption.

Reliability rules (SPEC §7): producers use acks=all with idempotence; a subscriber commits only
after its handler finished; a record that can never succeed goes to `<topic>.dlq` with the reason,
so one poison message never blocks its partition; an infrastructure failure (database or broker
down) is not the record's fault, so the record is redelivered instead of dead-lettered.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import random
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from concurrent.futures import BrokenExecutor
from typing import Any, cast

from aiokafka import ConsumerRecord
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.message import StreamMessage
from faststream.security import SASLScram512
from pymongo.errors import ConnectionFailure

from denialops_shared import tracing
from denialops_shared.contracts.cloudevents import EncodedEvent, InvalidEvent, ReceivedEvent, decode
from denialops_shared.contracts.events import EventBody
from denialops_shared.contracts.topics import ALL_TOPICS, Topic
from denialops_shared.kafka_producer import Record, send, send_all
from denialops_shared.metrics import (
    DEAD_LETTERS,
    EVENT_GROUP_FALLBACKS,
    EVENTS_CONSUMED,
    EVENTS_PUBLISHED,
    HANDLER_SECONDS,
)
from denialops_shared.settings import KAFKA_SASL_MECHANISM, ConsumerOptions, ServiceSettings

log = logging.getLogger(__name__)

Handler = Callable[[ReceivedEvent[EventBody]], Awaitable[None]]
# A valid record as the consumer handles it: the record, its decoded headers, its event.
Delivery = tuple[ConsumerRecord[Any, Any], dict[str, str], ReceivedEvent[EventBody]]
# Offered consecutive events of one case from one batch (at least two, in order); returns how many of the
# leading ones it handled together (0: none, each then goes through its topic's handler).
GroupHandler = Callable[[Sequence[ReceivedEvent[EventBody]]], Awaitable[int]]

# Failures of our own infrastructure: waiting and redelivering fixes them, dead-lettering would not.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    ConnectionFailure,
    KafkaError,
    asyncio.TimeoutError,
    BrokenExecutor,
)
# How long an idle consumer waits for records before polling again: the most a record can wait.
BATCH_WAIT_MS = 20


def _security(settings: ServiceSettings) -> SASLScram512 | None:
    if settings.kafka_security_protocol != "SASL_SSL":
        return None
    options = admin_security(settings)
    return SASLScram512(
        username=options["sasl_plain_username"],
        password=options["sasl_plain_password"],
        ssl_context=options["ssl_context"],
    )


def admin_security(settings: ServiceSettings) -> dict[str, Any]:
    """SASL_SSL/SCRAM options for a plain aiokafka client (the topic admin); the broker's are built from them."""
    if settings.kafka_security_protocol != "SASL_SSL":
        return {}
    import ssl

    password = settings.kafka_sasl_password.get_secret_value() if settings.kafka_sasl_password else ""
    return {
        "security_protocol": "SASL_SSL",
        "sasl_mechanism": KAFKA_SASL_MECHANISM,
        "sasl_plain_username": settings.kafka_sasl_username or "",
        "sasl_plain_password": password,
        "ssl_context": ssl.create_default_context(),
    }


def create_broker(settings: ServiceSettings) -> KafkaBroker:
    return KafkaBroker(
        settings.kafka_bootstrap_servers,
        client_id=settings.service_name,
        acks="all",
        enable_idempotence=True,
        # aiokafka sends one produce request per broker at a time: records queued meanwhile go together
        # in the next. A short linger gathers the events of one outbox flush (and of the flushes beside
        # it) when the producer is idle; a partition's batch may hold 128 KB (aiokafka's 16 KB fills
        # with about ten events, and a full batch makes further sends wait for a request).
        linger_ms=5,
        max_batch_size=128 * 1024,
        security=_security(settings),
        graceful_timeout=settings.shutdown_grace_seconds,
        logger=None,
    )


async def ensure_topics(settings: ServiceSettings) -> None:
    """Create every topic (and its dead-letter topic) with the configured partition count."""
    admin = AIOKafkaAdminClient(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        client_id=f"{settings.service_name}-admin",
        **admin_security(settings),
    )
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [
            NewTopic(name, settings.kafka_topic_partitions, settings.kafka_replication_factor)
            for name in ALL_TOPICS
            if name not in existing
        ]
        if missing:
            # Another service may have created them first.
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(missing)
    finally:
        await admin.close()


async def publish(broker: KafkaBroker, event: EncodedEvent) -> None:
    """Publish and wait for the broker's acknowledgement (acks=all)."""
    await publish_all(broker, [event])


async def publish_all(broker: KafkaBroker, events: Sequence[EncodedEvent]) -> None:
    """Publish `events` in their order, waiting for all acknowledgements together (one produce request
    can carry them all)."""
    await send_all(broker, [Record(e.value, e.topic, e.key.encode(), e.headers) for e in events])
    for event in events:
        EVENTS_PUBLISHED.labels(topic=event.topic).inc()


def _is_utf8(value: bytes) -> bool:
    try:
        value.decode()
    except UnicodeDecodeError:
        return False
    return True


# Set by the parser on a record that had headers which are not UTF-8 (their names, comma-separated).
INVALID_HEADERS = "denialops_invalid_headers"


async def _utf8_headers_only(
    records: tuple[ConsumerRecord[Any, Any], ...], original: Callable[[Any], Awaitable[StreamMessage[Any]]]
) -> StreamMessage[Any]:
    """FastStream decodes every header as UTF-8 and would fail the whole batch on one that is not, forever.

    Such headers are replaced by one that names them, and `_consume` dead-letters that record alone.
    """

    def sanitised(record: ConsumerRecord[Any, Any]) -> ConsumerRecord[Any, Any]:
        bad = [k for k, v in record.headers if not _is_utf8(v)]
        if not bad:
            return record
        kept = [(k, v) for k, v in record.headers if _is_utf8(v)]
        return dataclasses.replace(record, headers=[*kept, (INVALID_HEADERS, ",".join(bad).encode())])

    return await original(tuple(sanitised(record) for record in records))


async def _dead_letter(
    broker: KafkaBroker,
    group_id: str,
    record: ConsumerRecord[Any, Any],
    headers: dict[str, str],
    error_class: str,
    reason: str,
    attempts: int,
) -> None:
    topic = Topic(record.topic)
    headers = {
        **headers,
        "dlq_error_class": error_class,
        "dlq_reason": reason[:500],
        "dlq_attempts": str(attempts),
        "dlq_original_topic": topic.value,
        "dlq_original_partition": str(record.partition),
        "dlq_original_offset": str(record.offset),
        # Several groups read some topics (intake and router both read case.created): each dead-letters
        # a record it cannot take, so the group tells the copies apart and where a replay should go.
        "dlq_consumer_group": group_id,
    }
    key = record.key if isinstance(record.key, bytes) else None
    await send(broker, record.value or b"", topic.dead_letter, key, headers)
    EVENTS_PUBLISHED.labels(topic=topic.dead_letter).inc()
    DEAD_LETTERS.labels(topic=topic.value, error_class=error_class).inc()
    log.warning(
        "kafka.event.dead_lettered",
        extra={"topic": topic.value, "error_class": error_class, "attempts": attempts},
    )


async def raw_body(message: StreamMessage[Any]) -> Any:
    """FastStream would parse JSON before the handler runs; bad JSON must reach `decode` to be dead-lettered.

    A coroutine: FastStream runs a plain-function decoder in a worker thread, one thread hop per batch."""
    return message.body


def stretches(valid: Sequence[bool]) -> list[range]:
    """A case's records of one batch in the order they are handled: each invalid record alone (it is
    dead-lettered), each run of consecutive valid records together (what a group handler may be offered)."""
    found: list[range] = []
    start = 0
    for at, ok in enumerate(valid):
        if not ok:
            if start < at:
                found.append(range(start, at))
            found.append(range(at, at + 1))
            start = at + 1
    if start < len(valid):
        found.append(range(start, len(valid)))
    return found


def subscribe(
    broker: KafkaBroker,
    options: ConsumerOptions,
    handlers: Mapping[Topic, Handler],
    group_handler: GroupHandler | None = None,
) -> None:
    """One consumer in group `options.group_id` for every topic in `handlers`, with at-least-once semantics.

    One consumer per service (not one per topic) keeps group rebalances to one per process start.
    Records come in batches: those of different cases (keys) are handled concurrently, those of one
    case in order, and the batch is committed once all are done; a transient failure rewinds the whole
    batch (handlers are idempotent). A handler may raise `InvalidEvent` to dead-letter a record it
    refuses (e.g. another tenant's case).

    `group_handler` is offered each run of two or more consecutive valid records of one case in a batch
    (the events one write can record together: a run's stages published at once); what it does not take
    goes through `handlers` as above, and the rest is offered again. A group that fails otherwise than
    transiently is handled again one record at a time (retries and dead letters per record).
    """
    group_id = options.group_id
    slots = asyncio.Semaphore(options.concurrency)

    @broker.subscriber(
        *(topic.value for topic in handlers),
        group_id=group_id,
        ack_policy=AckPolicy.NACK_ON_ERROR,
        auto_offset_reset=options.auto_offset_reset,
        batch=True,
        max_records=options.max_batch,
        batch_timeout_ms=BATCH_WAIT_MS,
        # Fetches stay aiokafka's long polls: the broker answers as soon as a record is there (a
        # higher minimum would make every hop of a case wait) and holds an idle fetch 500 ms, so an
        # idle consumer costs the broker two requests a second.
        fetch_min_bytes=1,
        fetch_max_wait_ms=500,
        parser=_utf8_headers_only,
        decoder=raw_body,
    )
    async def consume(message: KafkaMessage) -> None:
        records: tuple[ConsumerRecord[Any, Any], ...] = message.raw_message
        # The parser already decoded each record's headers, in the records' order.
        by_case: dict[Any, list[tuple[ConsumerRecord[Any, Any], dict[str, str]]]] = defaultdict(list)
        for record, headers in zip(records, message.batch_headers, strict=True):
            by_case[record.key].append((record, headers))
        async with asyncio.TaskGroup() as group:
            for case_records in by_case.values():
                group.create_task(_consume_in_order(case_records))

    async def _consume_in_order(records: list[tuple[ConsumerRecord[Any, Any], dict[str, str]]]) -> None:
        async with slots:
            decoded = [(record, headers, _decoded(record, headers)) for record, headers in records]
            for stretch in stretches([not isinstance(event, InvalidEvent) for _, _, event in decoded]):
                record, headers, first = decoded[stretch.start]
                if isinstance(first, InvalidEvent):
                    with tracing.consumer_span(record.topic, headers):
                        await _dead_letter_invalid(record, headers, first)
                else:
                    await _consume_valid([cast(Delivery, decoded[at]) for at in stretch])

    def _decoded(record: ConsumerRecord[Any, Any], headers: dict[str, str]) -> ReceivedEvent[EventBody] | InvalidEvent:
        try:
            if INVALID_HEADERS in headers:
                raise InvalidEvent("bad_header", "a header is not UTF-8 text")
            return decode(Topic(record.topic), headers, record.value or b"")
        except InvalidEvent as exc:
            return exc

    async def _dead_letter_invalid(
        record: ConsumerRecord[Any, Any], headers: dict[str, str], invalid: InvalidEvent
    ) -> None:
        EVENTS_CONSUMED.labels(topic=record.topic, outcome="invalid").inc()
        await _dead_letter(broker, group_id, record, headers, invalid.code, invalid.detail, attempts=0)

    async def _consume_valid(valid: list[Delivery]) -> None:
        """Consecutive valid records of one case: groups where the group handler takes them, else one by one."""
        at = 0
        while at < len(valid):
            taken = await _offer(valid[at:]) if group_handler is not None and len(valid) - at >= 2 else 0
            if taken is None:  # the group failed: each of its records alone, as if no group handler were there
                for record, headers, event in valid[at:]:
                    with tracing.consumer_span(record.topic, headers):
                        await _consume(record, headers, event)
                return
            if taken == 0:
                record, headers, event = valid[at]
                with tracing.consumer_span(record.topic, headers):
                    await _consume(record, headers, event)
                taken = 1
            at += taken

    async def _offer(valid: list[Delivery]) -> int | None:
        """How many leading records the group handler took; None when it failed (a transient failure raises)."""
        assert group_handler is not None
        first, _, event = valid[0]
        started = time.perf_counter()
        # One span for the group, a child of its first record's producer.
        with tracing.consumer_span(first.topic, valid[0][1]):
            try:
                taken = await group_handler([e for _, _, e in valid])
                if not 0 <= taken <= len(valid):
                    raise ValueError(f"the group handler took {taken} of {len(valid)} events")
            except TRANSIENT_ERRORS:
                for record, _, _ in valid:
                    EVENTS_CONSUMED.labels(topic=record.topic, outcome="redelivered").inc()
                log.warning("kafka.group.transient_failure", extra={"topic": first.topic, "event_id": event.id})
                await asyncio.sleep(options.redelivery_pause_seconds)
                raise
            except Exception as exc:
                # InvalidEvent included: which of the records is refused is for the per-record path to say.
                EVENT_GROUP_FALLBACKS.labels(error_class=type(exc).__name__).inc()
                log.warning(
                    "kafka.group.handled_one_by_one",
                    extra={"topic": first.topic, "event_id": event.id, "error_class": type(exc).__name__},
                )
                return None
        # Each record's share of the group's time, so the histogram's sum stays the time spent handling.
        share = (time.perf_counter() - started) / taken if taken else 0.0
        for record, _, _ in valid[:taken]:
            HANDLER_SECONDS.labels(topic=record.topic).observe(share)
            EVENTS_CONSUMED.labels(topic=record.topic, outcome="processed").inc()
        return taken

    async def _consume(
        record: ConsumerRecord[Any, Any], headers: dict[str, str], event: ReceivedEvent[EventBody]
    ) -> None:
        topic = Topic(record.topic)
        started = time.perf_counter()
        failure = await _handle_with_retries(handlers[topic], topic, event, options)
        if failure is None:
            HANDLER_SECONDS.labels(topic=topic.value).observe(time.perf_counter() - started)
            EVENTS_CONSUMED.labels(topic=topic.value, outcome="processed").inc()
            return
        EVENTS_CONSUMED.labels(topic=topic.value, outcome="dead_lettered").inc()
        code, reason, attempts = failure
        await _dead_letter(broker, group_id, record, headers, code, reason, attempts)


async def _handle_with_retries(
    handler: Handler, topic: Topic, event: ReceivedEvent[EventBody], options: ConsumerOptions
) -> tuple[str, str, int] | None:
    """None on success; (error class, reason, attempts) when the record should be dead-lettered."""
    for attempt in range(1, options.handler_attempts + 1):
        try:
            await handler(event)
            return None
        except InvalidEvent as exc:
            return exc.code, exc.detail, attempt
        except TRANSIENT_ERRORS:
            EVENTS_CONSUMED.labels(topic=topic.value, outcome="redelivered").inc()
            log.warning("kafka.event.transient_failure", extra={"topic": topic.value, "event_id": event.id})
            # Pause so a dependency outage does not spin the CPU; the nack then redelivers the record.
            await asyncio.sleep(options.redelivery_pause_seconds)
            raise
        except Exception as exc:
            log.warning(
                "kafka.event.handler_failed",
                extra={
                    "topic": topic.value,
                    "event_id": event.id,
                    "attempt": attempt,
                    "error_class": type(exc).__name__,
                },
            )
            if attempt == options.handler_attempts:
                return type(exc).__name__, "handler failed after retries", attempt
            pause = options.retry_base_seconds * 2 ** (attempt - 1) * (0.5 + random.random())  # noqa: S311
            await asyncio.sleep(pause)
    return None


async def wait_for_assignment(broker: KafkaBroker, wait_seconds: float) -> bool:
    """True once every subscriber's consumer holds partitions (its group joined), False on time-out."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait_seconds
    while loop.time() < deadline:
        consumers = [getattr(sub, "consumer", None) for sub in broker.subscribers]
        if all(c is not None and c.assignment() for c in consumers):
            return True
        await asyncio.sleep(0.1)
    return False
