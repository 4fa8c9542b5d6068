"""CloudEvents binary-mode encoding and the refusal of anything a consumer cannot trust."""

from __future__ import annotations

import datetime as dt

import orjson
import pytest

from denialops_shared.contracts.cloudevents import (
    InvalidEvent,
    ReceivedEvent,
    decode,
    deterministic_event_id,
    encode,
    upstream_pair,
)
from denialops_shared.contracts.events import (
    CaseCreated,
    DocType,
    DocumentAdded,
    EventBody,
    Page,
    RunRequested,
    auto_run_id,
)
from denialops_shared.contracts.topics import ALL_TOPICS, Topic


def case_created() -> CaseCreated:
    return CaseCreated(tenant_id="t1", case_id="case-1", user_context={"role": "billing"})


def test_round_trip_keeps_the_body_and_the_cloudevents_attributes() -> None:
    event = encode(Topic.CASE_CREATED, case_created(), source="/test")
    assert event.key == "case-1"
    assert event.headers["ce_specversion"] == "1.0"
    assert event.headers["ce_type"] == "com.denialops.case.created.v1"
    assert event.headers["ce_subject"] == "case-1"
    assert event.headers["content-type"] == "application/json"
    received = decode(Topic.CASE_CREATED, event.headers, event.value)
    assert received.body == case_created()
    assert received.id == event.event_id
    assert received.time.tzinfo is not None


def test_an_event_cannot_be_encoded_onto_the_wrong_topic() -> None:
    with pytest.raises(TypeError):
        encode(Topic.RUN_REQUESTED, case_created(), source="/test")


@pytest.mark.parametrize(
    ("mutate", "code"),
    [
        (lambda h, v: ({**h, "ce_type": "com.denialops.case.created.v9"}, v), "unknown_type"),
        (lambda h, v: ({k: x for k, x in h.items() if k != "ce_specversion"}, v), "not_cloudevent"),
        (lambda h, v: ({k: x for k, x in h.items() if k != "ce_id"}, v), "not_cloudevent"),
        (lambda h, v: ({**h, "ce_time": "yesterday"}, v), "not_cloudevent"),
        (lambda h, v: ({**h, "content-type": "text/xml"}, v), "bad_content_type"),
        (lambda h, v: (h, b"{not json"), "bad_json"),
        (lambda h, v: (h, orjson.dumps({"tenant_id": "t1"})), "schema_invalid"),
        (lambda h, v: (h, orjson.dumps({**orjson.loads(v), "schema_version": 2})), "schema_invalid"),
        (lambda h, v: (h, orjson.dumps({**orjson.loads(v), "case_id": "../../etc"})), "schema_invalid"),
        (lambda h, v: (h, orjson.dumps({**orjson.loads(v), "unexpected": 1})), "schema_invalid"),
        (lambda h, v: (h, b" " * (8 * 1024 * 1024 + 1)), "too_large"),
    ],
)
def test_invalid_records_are_refused_with_a_reason(mutate: object, code: str) -> None:
    event = encode(Topic.CASE_CREATED, case_created(), source="/test")
    headers, value = mutate(event.headers, event.value)  # type: ignore[operator]
    with pytest.raises(InvalidEvent) as raised:
        decode(Topic.CASE_CREATED, headers, value)
    assert raised.value.code == code


def test_schema_errors_never_echo_the_input_values() -> None:
    event = encode(Topic.CASE_CREATED, case_created(), source="/test")
    body = {**orjson.loads(event.value), "mode": "SECRET-MEMBER-ID-123"}
    with pytest.raises(InvalidEvent) as raised:
        decode(Topic.CASE_CREATED, event.headers, orjson.dumps(body))
    assert "SECRET-MEMBER-ID-123" not in str(raised.value)


def test_outbox_document_round_trip() -> None:
    event = encode(Topic.CASE_CREATED, case_created(), source="/test", time=dt.datetime(2025, 1, 1, tzinfo=dt.UTC))
    assert type(event).from_document(event.to_document()) == event


def test_derived_ids_are_stable_and_distinct() -> None:
    assert auto_run_id("case-1") == auto_run_id("case-1") != auto_run_id("case-2")
    assert deterministic_event_id("run-1", "extract") != deterministic_event_id("run-1", "route")


def test_every_topic_has_a_dead_letter_topic() -> None:
    for topic in Topic:
        assert topic.dead_letter in ALL_TOPICS
    assert RunRequested.model_fields["run_id"].is_required()


def _received(body: EventBody) -> ReceivedEvent[EventBody]:
    return ReceivedEvent(id=str(id(body)), source="/test", type="t", time=dt.datetime.now(dt.UTC), body=body)


def _letter(case_id: str = "case-1", tenant: str = "t1") -> DocumentAdded:
    return DocumentAdded(
        tenant_id=tenant,
        case_id=case_id,
        document_id="doc-1",
        doc_type=DocType.DENIAL_LETTER,
        media_type="text/plain",
        sha256="0" * 64,
        pages=[Page(number=1, text="letter")],
        extraction_method="text",
    )


def test_an_upstream_case_and_its_letter_pair_up_in_either_order() -> None:
    created, added = _received(case_created()), _received(_letter())
    assert upstream_pair([created, added]) == (created, added)
    assert upstream_pair([added, created, _received(case_created())]) == (created, added)


@pytest.mark.parametrize(
    "second",
    [
        _letter(case_id="case-2"),
        _letter(tenant="t2"),
        RunRequested(tenant_id="t1", case_id="case-1", run_id="r", requested_by="u"),
    ],
    ids=["another case", "another tenant", "not a letter"],
)
def test_other_pairs_are_no_upstream_pair(second: EventBody) -> None:
    assert upstream_pair([_received(case_created()), _received(second)]) is None
    assert upstream_pair([_received(second), _received(case_created())]) is None
