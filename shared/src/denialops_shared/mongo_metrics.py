"""Counts and times every database command (PyMongo command monitoring): the load each service puts on it."""

from __future__ import annotations

from prometheus_client import Counter, Histogram
from pymongo import monitoring

from denialops_shared.metrics import MONGO_COMMAND_SECONDS, MONGO_COMMANDS


class CommandMetrics(monitoring.CommandListener):
    """Runs for every command: `labels()` (a lock, label checks, a lookup) cost more than the counting, so
    each labelled child is kept here by its labels. Few: a service's commands and collections, the
    children the metric keeps anyway. Threads that race on a new key store the same child."""

    def __init__(self) -> None:
        self._commands: dict[tuple[str, str], Counter] = {}
        self._seconds: dict[str, Histogram] = {}

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        # A CRUD command names its collection as the value of its first key; others (ping) name none.
        target = event.command.get(event.command_name)
        key = (event.command_name, target if isinstance(target, str) else "")
        child = self._commands.get(key)
        if child is None:
            child = self._commands[key] = MONGO_COMMANDS.labels(*key)
        child.inc()

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        self._observe(event.command_name, event.duration_micros)

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        self._observe(event.command_name, event.duration_micros)

    def _observe(self, command: str, duration_micros: int) -> None:
        child = self._seconds.get(command)
        if child is None:
            child = self._seconds[command] = MONGO_COMMAND_SECONDS.labels(command)
        child.observe(duration_micros / 1e6)
