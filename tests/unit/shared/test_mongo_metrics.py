"""The command listener counts and times every command under its own labels (its labelled children are cached)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

import pytest
from prometheus_client import REGISTRY

from denialops_shared.metrics import MONGO_COMMANDS
from denialops_shared.mongo_metrics import CommandMetrics


def _count(command: str, collection: str) -> float:
    labels = {"command": command, "collection": collection}
    return REGISTRY.get_sample_value("denialops_mongo_commands_total", labels) or 0.0


def _timed(command: str) -> tuple[float, float]:
    name = "denialops_mongo_command_duration_seconds"
    count = REGISTRY.get_sample_value(f"{name}_count", {"command": command}) or 0.0
    return count, REGISTRY.get_sample_value(f"{name}_sum", {"command": command}) or 0.0


def _event(command_name: str, **fields: Any) -> Any:
    return cast(Any, SimpleNamespace(command_name=command_name, **fields))


def test_each_command_is_counted_by_command_and_collection_every_time() -> None:
    listener = CommandMetrics()
    before = [_count("find", "t_cases"), _count("find", "t_runs"), _count("ping", "")]
    for _ in range(3):  # the second and third use the cached children
        listener.started(_event("find", command={"find": "t_cases", "filter": {}}))
    listener.started(_event("find", command={"find": "t_runs"}))
    listener.started(_event("ping", command={"ping": 1}))  # names no collection
    after = [_count("find", "t_cases"), _count("find", "t_runs"), _count("ping", "")]
    assert [a - b for a, b in zip(after, before, strict=True)] == [3, 1, 1]


def test_succeeded_and_failed_commands_are_timed_under_their_command() -> None:
    listener = CommandMetrics()
    count, total = _timed("t_aggregate")
    listener.succeeded(_event("t_aggregate", duration_micros=1500))
    listener.failed(_event("t_aggregate", duration_micros=500))
    listener.succeeded(_event("t_aggregate", duration_micros=1000))
    new_count, new_total = _timed("t_aggregate")
    assert new_count - count == 3
    assert abs((new_total - total) - 0.003) < 1e-9


def test_labels_are_resolved_once_per_label_set(monkeypatch: pytest.MonkeyPatch) -> None:
    resolved: list[tuple[str, ...]] = []

    class Spy:
        def labels(self, *values: str) -> Any:
            resolved.append(values)
            return MONGO_COMMANDS.labels(*values)

    monkeypatch.setattr("denialops_shared.mongo_metrics.MONGO_COMMANDS", Spy())
    listener = CommandMetrics()
    for _ in range(5):
        listener.started(_event("update", command={"update": "t_cases"}))
    assert resolved == [("update", "t_cases")]
