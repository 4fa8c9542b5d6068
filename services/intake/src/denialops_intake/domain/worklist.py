"""The worklist: one item per case, its next deadline and its priority.

priority = amount at stake × likelihood of recovery by route × urgency (days left to the next deadline)

Items are projected from the pipeline's `case_facts.json`, `route.json` and `deadlines.json` and from
case work; they hold no patient data (the list is seen over shoulders). Stored dates are ISO strings.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from denialops_intake.domain.casework import OPEN_STATUSES, Status, Work
from denialops_shared.contracts.events import DeadlineKind

Item = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Likelihood:
    value: float
    source: str


# Likelihood that working a denial of this route recovers the money. Published figures are for
# appeals in general, not per route; each row says what it rests on, and `[K]` marks our default.
LIKELIHOOD: dict[str, Likelihood] = {
    "claim_correction_resubmit": Likelihood(
        0.85,
        "[K] a corrected claim is paid once the error is fixed; Change Healthcare Denials Index: most "
        "denials are avoidable and about two thirds recoverable",
    ),
    "admin_denial": Likelihood(
        0.70,
        "[K] administrative denials (timely filing proof, COB, duplicates) are "
        "recoverable with documents; Change Healthcare Denials Index",
    ),
    "prior_auth_needed": Likelihood(
        0.75,
        "HHS-OIG OEI-09-16-00410 (2018): Medicare Advantage plans overturned "
        "75% of their own prior-authorization and payment denials on appeal",
    ),
    "medical_necessity_appeal": Likelihood(
        0.55,
        "between KFF's 2023 marketplace figure (insurers upheld about 6 "
        "in 10 internal appeals) and HHS-OIG's 75% for Medicare Advantage [K]",
    ),
    "escalation": Likelihood(0.40, "[K] external review reverses roughly 4 in 10 (state IRO reports vary)"),
    "benefits_verification": Likelihood(0.50, "[K] depends on what eligibility or benefits turn out to be"),
    "exclusion": Likelihood(0.20, "[K] a plan exclusion is rarely overturned unless it was misapplied"),
}
UNKNOWN_LIKELIHOOD = Likelihood(0.50, "[K] route unknown")
NO_DEADLINE_URGENCY = 1.0
MISSED_URGENCY = 0.25  # a missed window is usually lost: below any open one, still listed


def urgency(days_left: int | None) -> float:
    """1 + 29 / (1 + days left): 30 on the last day, about 2 four weeks out, towards 1 after that."""
    if days_left is None:
        return NO_DEADLINE_URGENCY
    if days_left < 0:
        return MISSED_URGENCY
    return 1 + 29 / (1 + days_left)


def item_key(case_id: str) -> str:
    """A case id as a field name (`.` would be read as a path; `~` is not allowed in ids)."""
    return case_id.replace(".", "~")


# -- projection of the pipeline's artifacts ----------------------------------------------------------


def facts_summary(case_facts_json: str) -> Item:
    """What the worklist and analytics need of `case_facts.json` (no patient data)."""
    facts = orjson.loads(case_facts_json)
    return {
        "payer": facts.get("payer_name"),
        "denial_codes": [c["code"] for c in facts.get("denial_codes", [])][:10],
        "denial_date": facts.get("date_of_denial"),
        "billed": facts.get("billed_amount"),
        "paid": facts.get("paid_amount"),
        "appeal_deadline": facts.get("appeal_deadline"),
    }


def route_summary(route_json: str, deadlines_json: str | None) -> Item:
    """What the worklist needs of `route.json` and `deadlines.json` (when the route stage carried one)."""
    summary: Item = {"route": orjson.loads(route_json).get("route")}
    if deadlines_json is not None:
        deadlines = orjson.loads(deadlines_json)
        summary["levels"] = [
            {
                "level": level["level"],
                "track": level["track"],
                "filing_due": level["filing"]["due"],
                "decision_due": (level.get("decision") or {}).get("due"),
            }
            for level in deadlines.get("levels", [])
        ]
        next_action = deadlines.get("next_action") or {}
        summary["next_level"] = next_action.get("level")
        summary["next_due"] = next_action.get("due")
        summary["appealable"] = deadlines.get("appealable", True)
    return summary


def project(current: Item | None, facts: Item, route: Item, run_at: dt.datetime, *, known_on: dt.date) -> Item:
    """The item after a run's facts and route: the newest run's letter wins, except the denial date, which
    stays the first letter's (analytics counts from the denial); a value a later letter omits is kept."""
    item = dict(current or {})
    if item.get("run_at") and item["run_at"] > run_at.isoformat():
        return item  # a redelivered result of an older run
    for name, value in {**facts, **route}.items():
        if value is not None and not (name == "denial_date" and item.get("denial_date")):
            item[name] = value
    if "levels" not in route:  # no deadlines.json for this run: its levels are unknown, not the old letter's
        for name in ("levels", "next_level", "next_due"):
            item.pop(name, None)
    item["run_at"] = run_at.isoformat()
    item["deadline_known_on"] = known_on.isoformat()
    return item


def work_fields(work: Work, *, at: dt.datetime) -> Item:
    """The item's fields that follow from case work (written with every case-work change)."""
    return {
        "status": work.status.value,
        "owner": work.owner,
        "level": work.level.value if work.level else None,
        "outcome": work.outcome.value if work.outcome else None,
        "recovered": work.recovered,
        "first_submitted_on": _iso(work.first_submitted_on),
        "last_submitted_on": _iso(work.submissions[-1].date) if work.submissions else None,
        "decided": len(work.decisions),
        "done_levels": sorted({d.level.value for d in work.decisions}),
        "decided_at": work.decisions[-1].recorded_at.isoformat() if work.decisions else None,
        "overturned": sum(d.outcome.value != "upheld" for d in work.decisions),
        "resolved_on": _iso(work.resolved_on),
        "worked": True,
        "work_changed_at": at.isoformat(),
    }


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def _date(value: Any) -> dt.date | None:
    return dt.date.fromisoformat(value) if isinstance(value, str) and value else None


# -- reading an item ---------------------------------------------------------------------------------


def status_of(item: Mapping[str, Any]) -> Status:
    return Status(item.get("status", Status.NEW.value))


def amount_at_stake(item: Mapping[str, Any]) -> float | None:
    """Billed minus paid minus what appeals recovered; None when the letter gave no billed amount."""
    billed = item.get("billed")
    if billed is None:
        return None
    return round(max(0.0, float(billed) - float(item.get("paid") or 0) - float(item.get("recovered") or 0)), 2)


def level_names(item: Mapping[str, Any]) -> list[str]:
    return [level["level"] for level in item.get("levels", [])]


def current_level(item: Mapping[str, Any]) -> str | None:
    """The level being worked: set by case work, else the deadlines' next action, else their first level;
    never one the payer has already decided (an upheld decision moves on)."""
    names = level_names(item)
    done = set(item.get("done_levels", []))
    for candidate in (item.get("level"), item.get("next_level"), *names):
        if candidate and candidate not in done and (candidate in names or not names):
            return str(candidate)
    return None


@dataclass(frozen=True, slots=True)
class NextDeadline:
    level: str | None
    kind: DeadlineKind  # filing (ours) or decision (the payer's, once we filed)
    due: dt.date


def next_deadline(item: Mapping[str, Any]) -> NextDeadline | None:
    """The open deadline of an open case: the payer's decision clock while submitted, else our filing
    clock of the current level (expedited track first, as the engine lists it); before deadlines.json
    exists, the letter's appeal deadline."""
    status = status_of(item)
    if status not in OPEN_STATUSES:
        return None
    level = current_level(item)
    tracks = [lv for lv in item.get("levels", []) if lv["level"] == level]
    if status is Status.SUBMITTED:
        due = next((_date(t["decision_due"]) for t in tracks if t.get("decision_due")), None)
        return NextDeadline(level, "decision", due) if due else None
    if status is Status.DECIDED and item.get("outcome") not in ("upheld", "partially_overturned"):
        return None
    if tracks:
        due = next((_date(t["filing_due"]) for t in tracks if t.get("filing_due")), None)
        return NextDeadline(level, "filing", due) if due else None
    # Without deadlines.json, the letter's appeal deadline counts until a decision, and again once a
    # later letter (the payer's answer) was read.
    if "levels" not in item and (not item.get("decided_at") or item.get("run_at", "") > item["decided_at"]):
        fallback = _date(item.get("appeal_deadline"))
        # Without levels, the name of the level after a decided one is not known.
        name = level or ("unknown" if item.get("done_levels") else "appeal")
        return NextDeadline(name, "filing", fallback) if fallback else None
    return None


@dataclass(frozen=True, slots=True)
class Ranked:
    case_id: str
    priority: float
    view: Item


def rank(case_id: str, item: Mapping[str, Any], today: dt.date) -> Ranked:
    """The worklist view of an item: exactly the fields the list shows, with the reason for its priority."""
    deadline = next_deadline(item)
    days_left = (deadline.due - today).days if deadline else None
    amount = amount_at_stake(item)
    route = item.get("route")
    likelihood = LIKELIHOOD.get(str(route), UNKNOWN_LIKELIHOOD)
    factor = urgency(days_left)
    priority = round((amount or 0.0) * likelihood.value * factor, 2)
    amount_text = f"${amount:,.2f} at stake" if amount is not None else "amount unknown ($0)"
    due_text = (
        "no deadline known"
        if days_left is None
        else (f"{-days_left} days past the deadline" if days_left < 0 else f"{days_left} days left")
    )
    route_text = route or "route unknown"
    reason = f"{amount_text} × {likelihood.value:.2f} likely ({route_text}) × urgency {factor:.2f} ({due_text})"
    view = {
        "case_id": case_id,
        "route": route,
        "payer": item.get("payer"),
        "amount_at_stake": amount,
        "next_deadline": deadline.due.isoformat() if deadline else None,
        "days_left": days_left,
        "owner": item.get("owner"),
        "status": status_of(item).value,
        "priority": priority,
        "priority_reason": reason,
    }
    return Ranked(case_id, priority, view)


@dataclass(frozen=True, slots=True)
class Filters:
    owner: str | None = None
    status: Status | None = None
    route: str | None = None
    payer: str | None = None
    due_before: dt.date | None = None

    def keep(self, ranked: Ranked) -> bool:
        view = ranked.view
        if self.status is None and Status(view["status"]) not in OPEN_STATUSES:
            return False
        checks = (
            self.owner is None or view["owner"] == self.owner,
            self.status is None or view["status"] == self.status.value,
            self.route is None or view["route"] == self.route,
            self.payer is None or (view["payer"] or "").casefold() == self.payer.casefold(),
            self.due_before is None
            or (view["next_deadline"] is not None and view["next_deadline"] < self.due_before.isoformat()),
        )
        return all(checks)


class BadCursor(ValueError):
    pass


def encode_cursor(ranked: Ranked) -> str:
    return base64.urlsafe_b64encode(orjson.dumps([ranked.priority, ranked.case_id])).decode()


def decode_cursor(cursor: str) -> tuple[float, str]:
    try:
        priority, case_id = orjson.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (binascii.Error, orjson.JSONDecodeError, ValueError, TypeError) as exc:
        raise BadCursor("the cursor is not one this API returned") from exc
    if not isinstance(priority, (int, float)) or not isinstance(case_id, str):
        raise BadCursor("the cursor is not one this API returned")
    return float(priority), case_id


def page(
    items: Iterable[tuple[str, Mapping[str, Any]]],
    today: dt.date,
    filters: Filters,
    limit: int,
    cursor: str | None,
) -> tuple[list[Item], str | None]:
    """One page of the ranked list (highest priority first, ties by case id) and the next page's cursor.

    The cursor is the last item's (priority, case id): a page continues after it, so paging is stable
    while priorities stay put (they move when a day passes or a case changes)."""
    ranked = sorted(
        (r for r in (rank(case_id, item, today) for case_id, item in items if item.get("route")) if filters.keep(r)),
        key=lambda r: (-r.priority, r.case_id),
    )
    if cursor is not None:
        after = decode_cursor(cursor)
        ranked = [r for r in ranked if (-r.priority, r.case_id) > (-after[0], after[1])]
    chosen = ranked[:limit]
    next_cursor = encode_cursor(chosen[-1]) if len(ranked) > limit else None
    return [r.view for r in chosen], next_cursor
