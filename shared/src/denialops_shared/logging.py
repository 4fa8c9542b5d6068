"""Structured JSON logs to stdout. Log records carry ids only; payloads never reach a log line."""

from __future__ import annotations

import logging
import sys

from pythonjsonlogger.json import JsonFormatter


def configure_logging(service: str, level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger", "message": "event"},
            static_fields={"service": service},
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Library chatter at INFO (connection churn, rebalance details) drowns the service's own events.
    for noisy in ("aiokafka", "pymongo", "uvicorn.access", "faststream", "kafka", "httpx", "pypdf"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
