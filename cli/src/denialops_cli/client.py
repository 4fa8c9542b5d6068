"""A small client of the intake HTTP API, used by the CLI commands."""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

MEDIA_TYPES = {".pdf": "application/pdf", ".txt": "text/plain"}
REMITTANCE_SUFFIXES = (".835", ".edi", ".x12", ".era")
REMITTANCE_TIMEOUT_SECONDS = 900.0
TERMINAL = {"succeeded", "failed", "cancelled"}
# Where `make up` writes the development tenant's key.
API_KEY_FILE = Path(".local") / "api-key"
NO_KEY_HINT = "set DENIALOPS_API_KEY, or run `make up`, which writes a development key to .local/api-key"


class ApiError(RuntimeError):
    pass


@dataclass(frozen=True)
class CaseResult:
    file: str
    case_id: str
    task: dict[str, Any]
    route: str | None
    deadline: str | None
    artifacts: list[str]


def letter_files(target: Path) -> list[Path]:
    """A file, or every letter and 835 in a folder once: the PDF where a PDF and a .txt share a stem."""
    if target.is_file():
        return [target]
    chosen: dict[str, Path] = {}
    for path in sorted(target.iterdir()):
        if path.suffix in REMITTANCE_SUFFIXES:
            chosen[path.name] = path
        elif path.suffix in MEDIA_TYPES and (path.suffix == ".pdf" or path.stem not in chosen):
            chosen[path.stem] = path
    return [chosen[key] for key in sorted(chosen)]


def is_remittance(path: Path) -> bool:
    """An X12 835 file: by its suffix, or a text file that starts with an ISA segment."""
    if path.suffix.lower() in REMITTANCE_SUFFIXES:
        return True
    with path.open("rb") as handle:
        head = handle.read(16)
    return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"ISA")


def api_key() -> str | None:
    """The key to send: DENIALOPS_API_KEY, else the one `make up` wrote to .local/api-key."""
    if key := os.environ.get("DENIALOPS_API_KEY", "").strip():
        return key
    state_dir = os.environ.get("DENIALOPS_STATE_DIR")
    path = Path(state_dir) / "api-key" if state_dir else API_KEY_FILE
    try:
        return path.read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def _check(response: httpx.Response) -> dict[str, Any]:
    if response.status_code >= 400:
        try:
            error = response.json()["error"]
            message = f"{error['code']}: {error['message']} (request {error['request_id']})"
        except (ValueError, KeyError, TypeError):
            message = f"HTTP {response.status_code}"
        if response.status_code == 401:
            message = f"{message}; {NO_KEY_HINT}"
        raise ApiError(message)
    body: dict[str, Any] = response.json()
    return body


class IntakeClient:
    def __init__(self, base_url: str, timeout: float = 30.0, key: str | None = None) -> None:
        key = key or api_key()
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        self.http = httpx.Client(base_url=base_url.rstrip("/") + "/api/v1", timeout=timeout, headers=headers)

    def __enter__(self) -> IntakeClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.http.close()

    def submit(self, path: Path, mode: str = "fast") -> tuple[str, str]:
        """Create a case for one letter and upload it; returns (case id, task id)."""
        case = _check(self.http.post("/cases", json={"mode": mode}))
        with path.open("rb") as handle:
            upload = _check(
                self.http.post(
                    f"/cases/{case['case_id']}/documents",
                    files={"file": (path.name, handle, MEDIA_TYPES.get(path.suffix, "text/plain"))},
                    data={"doc_type": "denial_letter"},
                )
            )
        return case["case_id"], upload["task_id"]

    def submit_remittance(self, path: Path) -> dict[str, Any]:
        """Upload an 835 file: the intake answers with the cases its claims created or updated."""
        with path.open("rb") as handle:
            files = {"file": (path.name, handle, "application/edi-x12")}
            # Intake answers once every claim's case is written: minutes for a file of thousands of claims.
            return _check(self.http.post("/remittances", files=files, timeout=REMITTANCE_TIMEOUT_SECONDS))

    def newest_task(self, case_id: str) -> str | None:
        tasks = _check(self.http.get(f"/cases/{case_id}"))["tasks"]
        return str(tasks[0]["task_id"]) if tasks else None

    def task(self, task_id: str) -> dict[str, Any]:
        return _check(self.http.get(f"/tasks/{task_id}"))

    def wait(self, task_id: str, wait_seconds: float = 120.0) -> dict[str, Any]:
        deadline = time.monotonic() + wait_seconds
        while True:
            task = self.task(task_id)
            if task["status"] in TERMINAL or time.monotonic() > deadline:
                return task
            time.sleep(0.2)

    def artifacts(self, case_id: str) -> list[str]:
        return [a["name"] for a in _check(self.http.get(f"/cases/{case_id}/artifacts"))["items"]]

    def artifact(self, case_id: str, name: str) -> str:
        response = self.http.get(f"/cases/{case_id}/artifacts/{name}")
        if response.status_code >= 400:
            _check(response)
        return response.text

    def result(self, path: Path, case_id: str, task: dict[str, Any]) -> CaseResult:
        names = self.artifacts(case_id) if task["status"] == "succeeded" else []
        route = deadline = None
        if "route.json" in names:
            route = json.loads(self.artifact(case_id, "route.json"))["route"]
        if "case_facts.json" in names:
            deadline = json.loads(self.artifact(case_id, "case_facts.json"))["appeal_deadline"]
        return CaseResult(path.name, case_id, task, route, deadline, names)
