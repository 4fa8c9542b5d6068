"""CloudEvents 1.0 in Kafka binary mode: attributes as `ce_*` headers, the event body as JSON.

`encode` turns an event body into an `EncodedEvent` (what is stored in an outbox and sent);
`decode` turns a received record back into a validated body, or raises `InvalidEvent` with a
reason fit for a dead-letter header.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from pydantic import BaseModel, ValidationError

from denialops_shared.contracts.events import (
    EVENT_MODELS,
    CaseCreated,
    DocumentAdded,
    EventBody,
    StageCompleted,
    event_type,
)
from denialops_shared.contracts.topics import Topic
from denialops_shared.tracing import trace_headers

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/json"
# The largest event body, for producers and consumers alike. Kafka's default record limit is 1 MiB (broker
# `message.max.bytes`, producer `max_request_size`): a larger event could never be published (it would sit
# in an outbox forever), and a record larger than this was not written by a DenialOps producer.
MAX_EVENT_BYTES = 900 * 1024

B = TypeVar("B", bound=BaseModel)


class InvalidEvent(Exception):
    """A record that no retry can make valid: it belongs in the dead-letter topic."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


@dataclass(frozen=True, slots=True)
class EncodedEvent:
    topic: str
    key: str
    value: bytes
    headers: dict[str, str]

    @property
    def event_id(self) -> str:
        return self.headers["ce_id"]

    def to_document(self) -> dict[str, object]:
        """A MongoDB-storable form (for the outbox)."""
        return {"topic": self.topic, "key": self.key, "value": self.value, "headers": self.headers}

    @classmethod
    def from_document(cls, doc: Mapping[str, object]) -> EncodedEvent:
        value = doc["value"]
        headers = doc["headers"]
        if not isinstance(value, bytes) or not isinstance(headers, dict):
            raise TypeError("not an outbox event document")
        return cls(topic=str(doc["topic"]), key=str(doc["key"]), value=value, headers=dict(headers))


@dataclass(frozen=True, slots=True)
class ReceivedEvent(Generic[B]):
    id: str
    source: str
    type: str
    time: dt.datetime
    body: B


def upstream_pair(
    events: Sequence[ReceivedEvent[EventBody]],
) -> tuple[ReceivedEvent[EventBody], ReceivedEvent[EventBody]] | None:
    """The leading two events as (`case.created`, `document.added`) of one tenant's case, in either order.

    They travel on two topics, so a consumer batch holds them in whichever order the broker returned
    the partitions; upstream published them together and their facts commute, so a handler takes them
    as one case with its letter however they came.
    """
    first, second = events[0], events[1]
    if isinstance(first.body, DocumentAdded) and isinstance(second.body, CaseCreated):
        first, second = second, first
    if not (isinstance(first.body, CaseCreated) and isinstance(second.body, DocumentAdded)):
        return None
    if (first.body.tenant_id, first.body.case_id) != (second.body.tenant_id, second.body.case_id):
        return None
    return first, second


def deterministic_event_id(*parts: str) -> str:
    """An id derived from what the event is about, so a re-run of the same step emits the same id."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "denialops:" + ":".join(parts)))


def encode(
    topic: Topic,
    body: EventBody,
    *,
    source: str,
    event_id: str | None = None,
    time: dt.datetime | None = None,
    extra_headers: Mapping[str, str] | None = None,
) -> EncodedEvent:
    if not isinstance(body, EVENT_MODELS[topic]):
        raise TypeError(f"{type(body).__name__} does not belong on {topic.value}")
    headers = {
        "ce_specversion": SPEC_VERSION,
        "ce_id": event_id or str(uuid.uuid4()),
        "ce_source": source,
        "ce_type": event_type(topic),
        "ce_time": (time or dt.datetime.now(dt.UTC)).isoformat(),
        "ce_subject": body.case_id,
        "ce_tenantid": body.tenant_id,
        "content-type": CONTENT_TYPE,
        # The trace context of the work that produced the event, kept with it through the outbox.
        **trace_headers(),
        **(extra_headers or {}),
    }
    return EncodedEvent(
        topic=topic.value,
        key=body.case_id,
        value=body.model_dump_json(exclude_none=False).encode(),
        headers=headers,
    )


def decode(topic: Topic, headers: Mapping[str, str], value: bytes) -> ReceivedEvent[EventBody]:
    if len(value) > MAX_EVENT_BYTES:
        raise InvalidEvent("too_large", f"{len(value)} bytes")
    if headers.get("ce_specversion") != SPEC_VERSION:
        raise InvalidEvent("not_cloudevent", "missing or unsupported ce_specversion")
    ce_type = headers.get("ce_type")
    if ce_type != event_type(topic):
        raise InvalidEvent("unknown_type", f"type {ce_type!r} is not known on {topic.value}")
    content_type = headers.get("content-type", CONTENT_TYPE)
    if not content_type.startswith(CONTENT_TYPE):
        raise InvalidEvent("bad_content_type", "expected application/json")
    event_id, source, time = headers.get("ce_id"), headers.get("ce_source"), headers.get("ce_time")
    if not event_id or not source or not time:
        raise InvalidEvent("not_cloudevent", "ce_id, ce_source and ce_time are required")
    try:
        parsed_time = dt.datetime.fromisoformat(time)
    except ValueError as exc:
        raise InvalidEvent("not_cloudevent", "ce_time is not an ISO 8601 time") from exc
    try:
        # Parsed and validated in one pass (pydantic-core's own JSON parser), with no Python objects between.
        body = EVENT_MODELS[topic].model_validate_json(value)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False, include_context=False)
        if errors[0]["type"] == "json_invalid":
            raise InvalidEvent("bad_json", "body is not valid JSON") from exc
        # Field locations and error types only: the input values may be PHI.
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['type']}" for e in errors[:5])
        raise InvalidEvent("schema_invalid", problems) from exc
    return ReceivedEvent(id=event_id, source=source, type=ce_type, time=parsed_time, body=body)


def encode_stage(stage: StageCompleted, source: str) -> EncodedEvent:
    """A stage result whose id is derived from what it reports, so a repeated step publishes the same event."""
    event_id = deterministic_event_id(stage.run_id, stage.stage.value, stage.status.value, str(stage.attempt))
    return encode(Topic.STAGE_COMPLETED, stage, source=source, event_id=event_id)
