"""Denial analytics over a date range, with the KPIs named as HFMA names them.

A case counts in the range of its denial date (the letter's; the day it was read when the letter has
none). Slices are payer × denial code (the letter's first code) × route.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from denialops_intake.domain.reminders import MISSED
from denialops_intake.domain.worklist import amount_at_stake

Item = Mapping[str, Any]


def denied_on(item: Item) -> dt.date | None:
    value = item.get("denial_date") or (item.get("run_at") or "")[:10]
    return dt.date.fromisoformat(value) if value else None


def _days(start: dt.date, end: str | None) -> int | None:
    return (dt.date.fromisoformat(end) - start).days if end else None


def _pct(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _mean(values: list[int]) -> float | None:
    return round(sum(values) / len(values), 1) if values else None


def _missed(item: Item) -> bool:
    return any(key.endswith(f":{MISSED}") for key in item.get("reminded", []))


def analytics(items: Iterable[Item], start: dt.date, end: dt.date) -> dict[str, Any]:
    """KPIs and slices of the cases denied from `start` to `end`, both included."""
    chosen = [(item, day) for item in items if item.get("route") and (day := denied_on(item)) and start <= day <= end]
    decisions = sum(int(item.get("decided") or 0) for item, _ in chosen)
    overturned = sum(int(item.get("overturned") or 0) for item, _ in chosen)
    to_appeal = [d for item, day in chosen if (d := _days(day, item.get("first_submitted_on"))) is not None]
    to_resolution = [d for item, day in chosen if (d := _days(day, item.get("resolved_on"))) is not None]
    slices: dict[tuple[str | None, str | None, str | None], dict[str, Any]] = {}
    for item, _ in chosen:
        codes = item.get("denial_codes") or [None]
        key = (item.get("payer"), codes[0], item.get("route"))
        row = slices.setdefault(
            key,
            {
                "payer": key[0],
                "denial_code": key[1],
                "route": key[2],
                "denials": 0,
                "worked": 0,
                "appealed": 0,
                "overturned": 0,
                "deadlines_missed": 0,
                "dollars_at_stake": 0.0,
                "dollars_recovered": 0.0,
            },
        )
        row["denials"] += 1
        row["worked"] += bool(item.get("worked"))
        row["appealed"] += bool(item.get("first_submitted_on"))
        row["overturned"] += bool(item.get("overturned"))
        row["deadlines_missed"] += _missed(item)
        row["dollars_at_stake"] = round(row["dollars_at_stake"] + (amount_at_stake(item) or 0.0), 2)
        row["dollars_recovered"] = round(row["dollars_recovered"] + float(item.get("recovered") or 0), 2)
    received = len(chosen)
    kpis = {
        "denials_received": received,
        "denials_worked_pct": _pct(sum(bool(i.get("worked")) for i, _ in chosen), received),
        "denials_appealed_pct": _pct(sum(bool(i.get("first_submitted_on")) for i, _ in chosen), received),
        "overturn_rate_pct": _pct(overturned, decisions),
        "avg_days_denial_to_appeal": _mean(to_appeal),
        "avg_days_denial_to_resolution": _mean(to_resolution),
        "dollars_at_stake": round(sum(r["dollars_at_stake"] for r in slices.values()), 2),
        "dollars_recovered": round(sum(r["dollars_recovered"] for r in slices.values()), 2),
        "deadlines_missed": sum(_missed(i) for i, _ in chosen),
    }
    ordered = sorted(
        slices.values(), key=lambda r: (-r["denials"], str(r["payer"]), str(r["denial_code"]), str(r["route"]))
    )
    return {"from": start.isoformat(), "to": end.isoformat(), "kpis": kpis, "slices": ordered}
