"""The worklist: projection of the pipeline's artifacts, next deadline, priority, filters and paging."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from denialops_intake.domain import worklist
from denialops_intake.domain.casework import Status
from denialops_intake.domain.worklist import Filters, NextDeadline

TODAY = dt.date(2025, 1, 15)
RUN_AT = dt.datetime(2025, 1, 10, tzinfo=dt.UTC)


def facts(**overrides: Any) -> str:
    base = {
        "payer_name": "Acme Health",
        "patient_name": "Jane Roe",
        "member_id": "XYZ123",
        "denial_codes": [{"code": "CO-197", "kind": "carc", "reason": "x"}],
        "date_of_denial": "2025-01-02",
        "billed_amount": 1200.0,
        "paid_amount": 200.0,
        "appeal_deadline": "2025-03-03",
    }
    return json.dumps({**base, **overrides})


def deadlines(level: str = "appeal", due: str | None = "2025-02-01", decision: str | None = None) -> str:
    return json.dumps(
        {
            "regime": "erisa",
            "regime_reason": "employer plan",
            "levels": [
                {
                    "level": level,
                    "track": "standard",
                    "filing": {"due": due, "basis": "printed", "window": "180 days", "source": "letter"},
                    "decision": None
                    if decision is None
                    else {"due": decision, "basis": "computed", "window": "30 days", "source": "29 CFR 2560.503-1"},
                }
            ],
            "warnings": [],
            "next_action": {"level": level, "action": "file", "due": due, "basis": "printed"},
            "appealable": True,
        }
    )


def item(route: str = "prior_auth_needed", deadlines_json: str | None = None, **work: Any) -> dict[str, Any]:
    projected = worklist.project(
        None,
        worklist.facts_summary(facts()),
        worklist.route_summary(json.dumps({"route": route}), deadlines_json),
        RUN_AT,
        known_on=RUN_AT.date(),
    )
    return {**projected, "case_id": "case-1", **work}


def test_the_projection_keeps_no_patient_data() -> None:
    text = json.dumps(item(deadlines_json=deadlines()))
    assert "Jane Roe" not in text
    assert "XYZ123" not in text


def test_the_deadline_falls_back_to_the_letters_appeal_deadline_until_deadlines_json_arrives() -> None:
    assert worklist.next_deadline(item()) == NextDeadline("appeal", "filing", dt.date(2025, 3, 3))
    assert worklist.next_deadline(item(deadlines_json=deadlines())) == NextDeadline(
        "appeal", "filing", dt.date(2025, 2, 1)
    )


def test_once_submitted_the_next_deadline_is_the_payers_decision() -> None:
    submitted = item(deadlines_json=deadlines(decision="2025-03-15"), status="submitted", level="appeal")
    assert worklist.next_deadline(submitted) == NextDeadline("appeal", "decision", dt.date(2025, 3, 15))
    assert worklist.next_deadline(item(deadlines_json=deadlines(), status="closed")) is None


def test_an_upheld_level_is_not_worked_again() -> None:
    upheld = item(
        deadlines_json=deadlines(),
        status="decided",
        outcome="upheld",
        level=None,
        done_levels=["appeal"],
        decided_at="2025-01-12T00:00:00+00:00",
    )
    assert worklist.next_deadline(upheld) is None, "nothing known beyond the decided level yet"
    later = worklist.project(
        upheld,
        worklist.facts_summary(facts(date_of_denial="2025-01-11")),
        worklist.route_summary(json.dumps({"route": "escalation"}), deadlines("external_review", "2025-05-11")),
        RUN_AT + dt.timedelta(days=3),
        known_on=TODAY,
    )
    assert worklist.next_deadline(later) == NextDeadline("external_review", "filing", dt.date(2025, 5, 11))
    assert later["denial_date"] == "2025-01-02", "the case's denial date stays the first letter's"


def test_an_older_runs_result_does_not_overwrite_a_newer_one() -> None:
    newer = item(route="escalation")
    older = worklist.project(
        newer,
        worklist.facts_summary(facts()),
        worklist.route_summary(json.dumps({"route": "exclusion"}), None),
        RUN_AT - dt.timedelta(days=1),
        known_on=TODAY,
    )
    assert older["route"] == "escalation"


@pytest.mark.parametrize(("days_left", "expected"), [(None, 1.0), (-1, 0.25), (0, 30.0), (29, 1 + 29 / 30)])
def test_urgency(days_left: int | None, expected: float) -> None:
    assert worklist.urgency(days_left) == pytest.approx(expected)


def test_priority_is_amount_times_likelihood_times_urgency_with_its_reason() -> None:
    ranked = worklist.rank("case-1", item(deadlines_json=deadlines()), TODAY)
    # $1,000 at stake (billed 1,200 - paid 200), prior auth 0.75, 17 days left: 1 + 29/18.
    assert ranked.priority == pytest.approx(round(1000 * 0.75 * (1 + 29 / 18), 2))
    assert set(ranked.view) == {
        "case_id",
        "route",
        "payer",
        "amount_at_stake",
        "next_deadline",
        "days_left",
        "owner",
        "status",
        "priority",
        "priority_reason",
    }
    assert ranked.view["days_left"] == 17
    assert "$1,000.00 at stake" in ranked.view["priority_reason"]
    assert "0.75" in ranked.view["priority_reason"]
    assert "17 days left" in ranked.view["priority_reason"]


def test_recovered_money_is_no_longer_at_stake() -> None:
    assert worklist.amount_at_stake(item(recovered=400.0)) == 600.0
    assert worklist.amount_at_stake({"route": "x"}) is None


def items(n: int) -> list[tuple[str, dict[str, Any]]]:
    return [
        (
            f"case-{i:02d}",
            {
                **item(deadlines_json=deadlines(due=f"2025-02-{i + 1:02d}")),
                "case_id": f"case-{i:02d}",
                "owner": "dana" if i % 2 else None,
            },
        )
        for i in range(n)
    ]


def test_pages_follow_each_other_without_gaps_or_repeats() -> None:
    seen: list[str] = []
    cursor = None
    while True:
        page, cursor = worklist.page(items(7), TODAY, Filters(), 3, cursor)
        seen += [v["case_id"] for v in page]
        if cursor is None:
            break
    assert seen == [f"case-{i:02d}" for i in range(7)], "the nearest deadline first (same amount and route)"


def test_filters() -> None:
    rows = items(6)

    def ids(filters: Filters) -> list[str]:
        return [v["case_id"] for v in worklist.page(rows, TODAY, filters, 50, None)[0]]

    assert ids(Filters(owner="dana")) == ["case-01", "case-03", "case-05"]
    assert ids(Filters(due_before=dt.date(2025, 2, 3))) == ["case-00", "case-01"]
    assert ids(Filters(payer="ACME health")) == [f"case-{i:02d}" for i in range(6)]
    assert ids(Filters(route="exclusion")) == []
    assert ids(Filters(status=Status.CLOSED)) == []


def test_closed_cases_leave_the_worklist() -> None:
    rows = [("case-1", item(deadlines_json=deadlines(), status="closed"))]
    assert worklist.page(rows, TODAY, Filters(), 50, None)[0] == []


def test_a_forged_cursor_is_refused() -> None:
    with pytest.raises(worklist.BadCursor):
        worklist.page(items(2), TODAY, Filters(), 1, "not-a-cursor")
