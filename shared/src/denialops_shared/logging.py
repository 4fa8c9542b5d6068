"""Structured JSON logs to stdout. Log records carry ids only; payloads never reach a log line.

Two filters sit on the handler, so they see every record of every logger:
- `ContextFilter` adds the ids bound for the current request or event (`request_id`, `tenant_id`,
  `case_id`), so a service logs them without passing them to every call.
- `RedactionFilter` is the second line of defence: the code logs dotted event names and ids, and this
  filter masks what still looks like PHI (money, dates, SSNs, phone numbers, e-mail addresses, member
  or claim numbers, long free text) and keeps exception messages out, which can quote the input.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import re
import sys
import traceback
from collections.abc import Iterator
from typing import Any

from pythonjsonlogger.json import JsonFormatter

CONTEXT_FIELDS = ("request_id", "tenant_id", "case_id")
_context: contextvars.ContextVar[dict[str, str]] = contextvars.ContextVar("denialops_log_context", default={})  # noqa: B039

REDACTED = "[redacted]"
# Free text longer than this is not an id or an event name: it is dropped whole.
MAX_FREE_TEXT = 200
# Record attributes that the logging machinery owns; everything else on a record is an `extra` field.
_RESERVED = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}

# Ids the services generate or receive as keys: kept when they look like an id (one token, bounded).
SAFE_ID_FIELDS = frozenset({*CONTEXT_FIELDS, "run_id", "task_id", "document_id", "event_id", "key_id"})
_ID_SHAPE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
# Our own ids (`case-<uuid>`, `run-<uuid>`) contain digit runs: a UUID is matched first and kept, so
# the patterns after it never cut into an id.
_UUID = r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"
_PHI_PATTERNS = [
    r"\$\s?\d[\d,]*(?:\.\d+)?",  # amounts
    r"\b\d{3}-\d{2}-\d{4}\b",  # SSN
    r"\(?\b\d{3}\)?[\s.-]\d{3}[\s.-]\d{4}\b",  # phone numbers
    r"\b\d{1,2}[/-]\d{1,2}[/-]\d{2,4}\b|\b\d{4}-\d{2}-\d{2}\b",  # dates
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{1,2},?\s+\d{4}\b",  # dates in words
    r"[\w.+-]+@[\w-]+\.[\w.-]+",  # e-mail addresses
    r"\b(?=[A-Z0-9-]*\d)[A-Z][A-Z0-9]*-?\d{5,}[A-Z0-9-]*\b",  # member ids, claim numbers (W123456789)
    r"\b\d{6,}\b",  # long digit runs (ids, account numbers)
    r"\b(?:member|subscriber|claim|patient|policy|group|account)\s*(?:id|no\.?|number|#)?\s*[:#]\s*\S+",
]
_PATTERN = re.compile(f"({_UUID})|" + "|".join(f"(?:{p})" for p in _PHI_PATTERNS), re.IGNORECASE)


def redact(text: str) -> str:
    """`text` with anything that looks like PHI masked; long free text is dropped whole."""
    if len(text) > MAX_FREE_TEXT and any(c.isspace() for c in text):
        return REDACTED
    return _PATTERN.sub(lambda m: m.group(1) or REDACTED, text)


def _redact_field(key: str, value: Any) -> Any:
    if key in SAFE_ID_FIELDS and isinstance(value, str) and _ID_SHAPE.fullmatch(value):
        return value
    return _redact_value(value)


def _redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: _redact_field(str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_redact_value(v) for v in value]
    return value


def safe_traceback(exc: BaseException) -> str:
    """The exception chain's frames and types, without messages or source lines (either can quote data)."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and all(current is not seen for seen in chain):
        chain.append(current)
        current = current.__cause__ or current.__context__
    lines: list[str] = []
    for item in reversed(chain):
        frames = traceback.extract_tb(item.__traceback__)
        lines.extend(f'  File "{f.filename}", line {f.lineno}, in {f.name}' for f in frames)
        lines.append(f"{type(item).__module__}.{type(item).__qualname__}")
    return "\n".join(lines)


class RedactionFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        for key, value in list(record.__dict__.items()):
            if key not in _RESERVED:
                setattr(record, key, _redact_field(key, value))
        if record.exc_info:
            if record.exc_info[1] is not None:
                record.exc_text = safe_traceback(record.exc_info[1])
            record.exc_info = None
        record.stack_info = None
        return True


class ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in _context.get().items():
            if not hasattr(record, key):
                setattr(record, key, value)
        return True


def bind_log_context(**ids: str | None) -> contextvars.Token[dict[str, str]]:
    """Add ids to the log context of the current task; returns a token for `reset_log_context`."""
    merged = {**_context.get(), **{k: v for k, v in ids.items() if v is not None}}
    return _context.set(merged)


def current_log_context() -> dict[str, str]:
    return dict(_context.get())


def reset_log_context(token: contextvars.Token[dict[str, str]]) -> None:
    _context.reset(token)


@contextlib.contextmanager
def log_context(**ids: str | None) -> Iterator[None]:
    token = bind_log_context(**ids)
    try:
        yield
    finally:
        reset_log_context(token)


def configure_logging(service: str, level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger", "message": "event"},
            static_fields={"service": service},
        )
    )
    handler.addFilter(ContextFilter())
    handler.addFilter(RedactionFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Library chatter at INFO (connection churn, rebalance details) drowns the service's own events.
    for noisy in ("aiokafka", "pymongo", "uvicorn.access", "faststream", "kafka", "httpx", "pypdf"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
