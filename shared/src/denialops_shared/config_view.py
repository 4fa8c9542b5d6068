"""A service's settings as an operator may see them: every secret masked (SPEC §9).

Masked: `SecretStr` fields, fields whose name says secret (password, token, key...), and the
password of any URL (`redis://user:pw@host` shows as `redis://user:***@host`).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from pydantic import BaseModel, SecretBytes, SecretStr

MASK = "***"
SECRET_NAME = re.compile(r"pass(word|wd)?|secret|token|api_?key|credential|private_key", re.IGNORECASE)


def _mask_url(value: str) -> str:
    if "://" not in value:
        return value
    parts = urlsplit(value)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, hosts = netloc.rpartition("@")
        user = userinfo.split(":", 1)[0]
        netloc = f"{user}:{MASK}@{hosts}" if ":" in userinfo else f"{MASK}@{hosts}"
    query = "&".join(
        f"{key}={MASK}" if SECRET_NAME.search(key) else f"{key}={item}"
        for key, item in parse_qsl(parts.query, keep_blank_values=True)
    )
    return urlunsplit(parts._replace(netloc=netloc, query=query))


def _view(name: str, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, SecretStr | SecretBytes):
        # Show where a secret is a URL (the database's address helps an operator), never its password.
        raw = value.get_secret_value()
        text = raw if isinstance(raw, str) else ""
        return _mask_url(text) if "://" in text and not SECRET_NAME.search(name) else MASK
    if SECRET_NAME.search(name):
        return MASK
    if isinstance(value, str):
        return _mask_url(value)
    if isinstance(value, dict):
        return {str(k): _view(str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_view(name, item) for item in value]
    if isinstance(value, bool | int | float):
        return value
    return str(value)


def masked_settings(settings: BaseModel) -> dict[str, Any]:
    """Every field of `settings`, safe to show: secrets masked, everything else as JSON-friendly values."""
    return {name: _view(name, getattr(settings, name)) for name in type(settings).model_fields}


def configuration_report(service_name: str, version: str, settings: BaseModel) -> dict[str, Any]:
    """What `GET /health/config` answers and the health service shows."""
    return {"service": service_name, "version": version, "settings": masked_settings(settings)}
