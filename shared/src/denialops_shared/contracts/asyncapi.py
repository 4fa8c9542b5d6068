"""The AsyncAPI 3.0 document of the DenialOps events, built from the contracts.

Channels, messages, CloudEvents headers and payload schemas come from `topics.py`, `events.py` and
`cloudevents.py`; who receives what comes from the services' own subscriptions (read off their
brokers by `receivers_of`). `tools/asyncapi/generate.py` writes `docs/asyncapi.yaml`; a test fails
when the committed file drifts from the code, and another parses it with `@asyncapi/parser`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from faststream.kafka import KafkaBroker

from denialops_shared.contracts.cloudevents import CONTENT_TYPE, SPEC_VERSION
from denialops_shared.contracts.events import EVENT_MODELS, SCHEMA_VERSION, event_type
from denialops_shared.contracts.topics import Topic

ASYNCAPI_VERSION = "3.0.0"
SCHEMA_REF = "#/components/schemas/{model}"


@dataclass(frozen=True, slots=True)
class Subscription:
    service: str
    group_id: str
    topics: tuple[Topic, ...]


def receivers_of(brokers: Mapping[str, KafkaBroker]) -> list[Subscription]:
    """What each service's broker subscribes to, after the service's `consumers.register` ran on it."""
    return [
        Subscription(service, str(sub.group_id), tuple(Topic(name) for name in sub.topic_names))  # type: ignore[attr-defined]
        for service, broker in brokers.items()
        for sub in broker.subscribers
    ]


def _camel(topic: str) -> str:
    head, *rest = topic.replace(".", "_").split("_")
    return head + "".join(part.title() for part in rest)


def _header_schema(topic: Topic) -> dict[str, Any]:
    def text(description: str, **extra: Any) -> dict[str, Any]:
        return {"type": "string", "description": description, **extra}

    return {
        "type": "object",
        "required": ["ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time", "ce_subject", "content-type"],
        "properties": {
            "ce_specversion": text("CloudEvents version.", const=SPEC_VERSION),
            "ce_id": text("Event id; a redelivery keeps it, so consumers can deduplicate."),
            "ce_source": text("The producing service, e.g. /denialops/router."),
            "ce_type": text("Versioned event type.", const=event_type(topic)),
            "ce_time": text("When the event happened.", format="date-time"),
            "ce_subject": text("The case id (also the Kafka key)."),
            "ce_tenantid": text("The tenant the case belongs to."),
            "content-type": text("Body media type.", const=CONTENT_TYPE),
            "traceparent": text("W3C trace context of the work that produced the event."),
            "tracestate": text("W3C trace state."),
        },
    }


DEAD_LETTER_HEADERS: dict[str, Any] = {
    "type": "object",
    "description": "The original record's headers, plus why it was dead-lettered.",
    "required": ["dlq_error_class", "dlq_reason", "dlq_attempts", "dlq_original_topic"],
    "properties": {
        "dlq_error_class": {"type": "string", "description": "Error code or class (bad_json, schema_invalid...)."},
        "dlq_reason": {"type": "string", "description": "A short reason without record content."},
        "dlq_attempts": {"type": "string", "description": "Handler attempts before giving up (0: never valid)."},
        "dlq_original_topic": {"type": "string"},
        "dlq_original_partition": {"type": "string"},
        "dlq_original_offset": {"type": "string"},
        "dlq_consumer_group": {"type": "string", "description": "The consumer group that gave up on it."},
    },
}


def build(receivers: Sequence[Subscription], version: str) -> dict[str, Any]:
    """The AsyncAPI document as plain data (dump it as YAML or JSON)."""
    schemas: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    channels: dict[str, Any] = {}
    key = {"type": "string", "description": "The case id: one case's events stay in order on one partition."}
    for topic, model in EVENT_MODELS.items():
        schema = model.model_json_schema(ref_template=SCHEMA_REF)
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
        name = _camel(topic.value)
        messages[name] = {
            "name": model.__name__,
            "title": f"{topic.value} v{SCHEMA_VERSION}",
            "summary": (model.__doc__ or model.__name__).strip().splitlines()[0],
            "contentType": CONTENT_TYPE,
            "headers": _header_schema(topic),
            "payload": {"$ref": SCHEMA_REF.format(model=model.__name__)},
            "bindings": {"kafka": {"key": key}},
        }
        messages[f"{name}DeadLetter"] = {
            "name": f"{model.__name__}DeadLetter",
            "title": f"{topic.dead_letter}",
            "summary": f"A {topic.value} record that could not be processed, byte for byte as received.",
            "headers": DEAD_LETTER_HEADERS,
            "payload": {"description": "The original record's value, unchanged (it may not even be JSON)."},
        }
        channels[name] = {
            "address": topic.value,
            "messages": {name: {"$ref": f"#/components/messages/{name}"}},
        }
        channels[f"{name}DeadLetter"] = {
            "address": topic.dead_letter,
            "messages": {f"{name}DeadLetter": {"$ref": f"#/components/messages/{name}DeadLetter"}},
        }
    operations: dict[str, Any] = {}
    for sub in sorted(receivers, key=lambda s: s.service):
        for topic in sorted(sub.topics):
            channel = _camel(topic.value)
            operations[f"{_camel(sub.service.replace('-', '_'))}Receives{channel[0].upper()}{channel[1:]}"] = {
                "action": "receive",
                "channel": {"$ref": f"#/channels/{channel}"},
                "summary": f"{sub.service} consumes {topic.value} in consumer group {sub.group_id}.",
                "bindings": {"kafka": {"groupId": {"type": "string", "enum": [sub.group_id]}}},
            }
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": "DenialOps events",
            "version": version,
            "description": (
                "CloudEvents 1.0 in Kafka binary mode: attributes as ce_* headers, the JSON body validated by "
                "the model of its topic, the case id as the key. Generated from the code by "
                "tools/asyncapi/generate.py; do not edit by hand."
            ),
        },
        "defaultContentType": CONTENT_TYPE,
        "servers": {
            "local": {"host": "localhost:9092", "protocol": "kafka", "description": "deploy/local/infra.sh"},
        },
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": dict(sorted(schemas.items()))},
    }
