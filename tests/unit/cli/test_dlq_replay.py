"""`denialops dlq replay --body-file`: one dead letter, replayed with a corrected value (no broker needed here)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from denialops_cli.dlq import DeadLetter, corrected, replay_headers
from denialops_cli.main import app

runner = CliRunner()


def test_a_corrected_letter_keeps_its_key_and_event_headers_and_only_its_value_changes() -> None:
    letter = DeadLetter(
        topic="case.created.dlq",
        partition=2,
        offset=7,
        timestamp_ms=0,
        key=b"case-1",
        value=b"{not json",
        headers={"ce_id": "e-1", "ce_type": "com.denialops.case.created.v1", "dlq_reason": "body is not valid JSON"},
    )
    fixed = corrected(letter, b'{"tenant_id": "t", "case_id": "case-1"}')
    assert fixed.value == b'{"tenant_id": "t", "case_id": "case-1"}'
    assert (fixed.key, fixed.ref, fixed.original_topic) == (b"case-1", "case.created.dlq:2:7", "case.created")
    assert replay_headers(fixed) == {
        "ce_id": "e-1",
        "ce_type": "com.denialops.case.created.v1",
        "denialops_replayed_from": "case.created.dlq:2:7",
    }
    assert letter.value == b"{not json", "the dead letter itself is left as it was"


@pytest.mark.parametrize(
    "args",
    [
        ["case.created.dlq:0:1", "case.created.dlq:0:2"],
        ["--all", "case.created"],
        ["case.created.dlq:0:1", "--all", "case.created"],
    ],
    ids=["two-refs", "all", "ref-and-all"],
)
def test_a_corrected_body_replays_exactly_one_named_dead_letter(tmp_path: Path, args: list[str]) -> None:
    body = tmp_path / "fixed.json"
    body.write_text("{}", encoding="utf-8")
    # Refused before any broker is contacted (the bootstrap address is unreachable on purpose).
    result = runner.invoke(app, ["dlq", "replay", *args, "--body-file", str(body), "--bootstrap", "127.0.0.1:1"])
    assert result.exit_code == 2, result.output
    assert "exactly one dead letter" in result.output
