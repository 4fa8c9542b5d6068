"""The second line of defence: PHI that reaches a log call anyway is masked in the JSON line."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from denialops_shared.logging import configure_logging, log_context, redact


@pytest.fixture
def lines() -> Iterator[io.StringIO]:
    configure_logging("test")
    handler = logging.getLogger().handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    stream = io.StringIO()
    handler.setStream(stream)
    yield stream
    logging.getLogger().handlers.clear()


def records(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


@pytest.mark.parametrize(
    "phi",
    [
        "$1,234.56",
        "$ 80",
        "123-45-6789",
        "(555) 867-5309",
        "555.867.5309",
        "03/14/2024",
        "2024-03-14",
        "March 14, 2024",
        "jane.doe@example.com",
        "W123456789",
        "CLM-2024-0012345",
        "4485123412341234",
        "Member ID: XZ12",
        "claim #: 99-abc",
    ],
)
def test_phi_shapes_are_masked(phi: str) -> None:
    assert phi not in redact(f"something about {phi} here")


@pytest.mark.parametrize(
    "safe",
    [
        "router.case.routed",
        "case-3f2a1b4c-1234-4567-8901-123456789012",
        "run-auto-case-1",
        "dlq",
        "0.1.0",
        "3 attempts",
    ],
)
def test_ids_and_event_names_are_kept(safe: str) -> None:
    assert redact(safe) == safe


def test_long_free_text_is_dropped_whole() -> None:
    letter = "Dear member, your claim for the service on the date above was denied because " * 5
    assert redact(letter) == "[redacted]"


def test_a_log_line_keeps_ids_and_masks_phi_in_message_extras_and_exceptions(lines: io.StringIO) -> None:
    log = logging.getLogger("denialops.test")
    with log_context(request_id="req-1", tenant_id="acme", case_id="case-3f2a1b4c-1234-4567-8901-123456789012"):
        log.warning("letter for %s", "W123456789", extra={"amount": "$98,765.43", "run_id": "run-123456789"})
        try:
            raise ValueError("input_value='Jane Quill, member W123456789'")
        except ValueError:
            log.exception("intake.failed")
    first, second = records(lines)
    assert first["event"] == "letter for [redacted]"
    assert first["amount"] == "[redacted]"
    assert first["run_id"] == "run-123456789", "ids are kept whole"
    assert first["tenant_id"] == "acme"
    assert first["case_id"] == "case-3f2a1b4c-1234-4567-8901-123456789012"
    assert "builtins.ValueError" in str(second["exc_info"])
    assert "Jane" not in lines.getvalue()
    assert "W123456789" not in lines.getvalue()
