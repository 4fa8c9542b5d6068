"""The HTML status page: the aggregate snapshot (`GET /health`) rendered for people, refreshed every 5 s.

Pure: a snapshot in, HTML out. Every value is escaped; configuration arrives already masked.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Mapping
from typing import Any

STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:2rem;color:#222}
h1 span{padding:.1rem .6rem;border-radius:.3rem;color:#fff}
.ok{background:#2e7d32}.bad{background:#c62828}
table{border-collapse:collapse;margin:.5rem 0 1.5rem}
th,td{border:1px solid #ddd;padding:.25rem .6rem;text-align:left;vertical-align:top}
th{background:#f5f5f5}td.n{text-align:right}
details{margin:.3rem 0}summary{cursor:pointer;font-weight:600}
code{font-size:12px}
"""


def _e(value: object) -> str:
    return html.escape(str(value))


def _badge(ok: bool, good: str, bad: str) -> str:
    return f"<span class='{'ok' if ok else 'bad'}'>{_e(good if ok else bad)}</span>"


def _table(headers: Iterable[str], rows: Iterable[Iterable[str]]) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _checks(service: Mapping[str, Any]) -> str:
    detail = service.get("detail")
    checks = detail.get("checks") if isinstance(detail, Mapping) else None
    if isinstance(checks, Mapping):
        return ", ".join(f"{_e(name)} {'up' if ok else 'DOWN'}" for name, ok in checks.items())
    return _e(service.get("error", ""))


def _lag_rows(lag: list[Mapping[str, Any]]) -> list[list[str]]:
    totals: dict[str, int] = {}
    for item in lag:
        totals[item["group"]] = totals.get(item["group"], 0) + int(item["lag"])
    rows = [[_e(i["group"]), _e(i["topic"]), f"<span class='n'>{_e(i['partition'])}</span>", _e(i["lag"])] for i in lag]
    rows += [[f"<b>{_e(group)}</b>", "all", "", f"<b>{total}</b>"] for group, total in sorted(totals.items())]
    return rows


def _value(value: object) -> str:
    return f"<code>{_e(json.dumps(value) if not isinstance(value, str) else value)}</code>"


def _configuration(configuration: Mapping[str, Mapping[str, Any]]) -> str:
    sections = []
    for name, reported in sorted(configuration.items()):
        settings = reported.get("settings", {})
        rows = [[_e(key), _value(value)] for key, value in sorted(settings.items())]
        title = f"{_e(name)} <small>{_e(reported.get('version', ''))}</small>"
        sections.append(f"<details><summary>{title}</summary>{_table(['setting', 'value'], rows)}</details>")
    return "".join(sections) or "<p>no service has reported its configuration yet</p>"


def render(snapshot: Mapping[str, Any]) -> str:
    healthy = snapshot["status"] == "ok"
    services = [
        [_e(name), _badge(bool(s.get("ready")), "ready", "NOT READY"), _checks(s)]
        for name, s in snapshot["services"].items()
    ]
    dependencies = [
        [_e(name), _badge(bool(ok), "up", "DOWN"), "required"] for name, ok in snapshot["dependencies"].items()
    ]
    # Optional: the services work without it (a Redis outage only costs cache hits).
    dependencies += [
        [_e(name), _badge(bool(ok), "up", "DOWN"), "optional (LLM cache)"]
        for name, ok in snapshot.get("optional_dependencies", {}).items()
    ]
    return (
        "<!doctype html><html><head><meta charset='utf-8'><meta http-equiv='refresh' content='5'>"
        f"<title>DenialOps status</title><style>{STYLE}</style></head><body>"
        f"<h1>DenialOps {_badge(healthy, 'ok', snapshot['status'])}</h1>"
        f"<p>checked at {_e(snapshot.get('checked_at') or 'not yet')} · <a href='/health'>JSON</a>"
        " · <a href='/metrics'>metrics</a></p>"
        f"<h2>Services</h2>{_table(['service', 'readiness', 'dependencies'], services)}"
        f"<h2>Dependencies</h2>{_table(['dependency', 'state', 'kind'], dependencies)}"
        f"<h2>Consumer lag</h2>{_table(['group', 'topic', 'partition', 'lag'], _lag_rows(snapshot['consumer_lag']))}"
        f"<h2>Configuration <small>(secrets masked)</small></h2>{_configuration(snapshot['configuration'])}"
        "</body></html>"
    )
