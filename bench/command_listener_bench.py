"""CPU per database command of the services' command listener (`CommandMetrics`: started + succeeded).

    .venv/bin/python -m bench.command_listener_bench

Every database command a service sends goes through it; the events are shaped like PyMongo's (only the
fields the listener reads). Prints the best of 7 runs of 40,000 commands over five command/collection pairs.
"""

from __future__ import annotations

import time
from types import SimpleNamespace
from typing import Any

from denialops_shared.mongo_metrics import CommandMetrics

COMMANDS = (("find", "cases"), ("update", "cases"), ("insert", "runs"), ("findAndModify", "runs"), ("update", "outbox"))
RUNS, PER_RUN = 7, 40_000


def main() -> None:
    listener = CommandMetrics()
    events: list[tuple[Any, Any]] = [
        (
            SimpleNamespace(command_name=name, command={name: collection}),
            SimpleNamespace(command_name=name, duration_micros=850),
        )
        for name, collection in COMMANDS
    ]
    best = float("inf")
    for _ in range(RUNS):
        started = time.thread_time()
        for _ in range(PER_RUN // len(events)):
            for start, success in events:
                listener.started(start)
                listener.succeeded(success)
        best = min(best, (time.thread_time() - started) / PER_RUN * 1e6)
    print(f"command listener: {best:.2f} us CPU per command (started + succeeded), best of {RUNS} x {PER_RUN:,}")


if __name__ == "__main__":
    main()
