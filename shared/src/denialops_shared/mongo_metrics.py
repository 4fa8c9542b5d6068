"""Counts and times every database command (PyMongo command monitoring): the load each service puts on it."""

from __future__ import annotations

from pymongo import monitoring

from denialops_shared.metrics import MONGO_COMMAND_SECONDS, MONGO_COMMANDS


class CommandMetrics(monitoring.CommandListener):
    def started(self, event: monitoring.CommandStartedEvent) -> None:
        # A CRUD command names its collection as the value of its first key; others (ping) name none.
        target = event.command.get(event.command_name)
        MONGO_COMMANDS.labels(event.command_name, target if isinstance(target, str) else "").inc()

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        MONGO_COMMAND_SECONDS.labels(event.command_name).observe(event.duration_micros / 1e6)

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        MONGO_COMMAND_SECONDS.labels(event.command_name).observe(event.duration_micros / 1e6)
