"""The CLI's HTTP commands send the API key: DENIALOPS_API_KEY, else the file `make up` writes."""

from __future__ import annotations

from pathlib import Path

import pytest

from denialops_cli.client import IntakeClient, api_key
from denialops_cli.keys import write_key


def test_the_environment_wins_then_the_state_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DENIALOPS_API_KEY", raising=False)
    monkeypatch.setenv("DENIALOPS_STATE_DIR", str(tmp_path))
    assert api_key() is None
    write_key(tmp_path / "api-key", "dop_from_file")
    assert (tmp_path / "api-key").stat().st_mode & 0o777 == 0o600
    assert api_key() == "dop_from_file"
    monkeypatch.setenv("DENIALOPS_API_KEY", "dop_from_env")
    assert api_key() == "dop_from_env"
    with IntakeClient("http://127.0.0.1:1") as client:
        assert client.http.headers["authorization"] == "Bearer dop_from_env"


def test_without_a_key_no_header_is_sent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DENIALOPS_API_KEY", raising=False)
    monkeypatch.setenv("DENIALOPS_STATE_DIR", str(tmp_path))
    with IntakeClient("http://127.0.0.1:1") as client:
        assert "authorization" not in client.http.headers
