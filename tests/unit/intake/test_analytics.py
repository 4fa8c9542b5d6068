"""Analytics: HFMA-named KPIs and payer × denial code × route slices over a denial-date range."""

from __future__ import annotations

import datetime as dt
from typing import Any

from denialops_intake.domain.analytics import analytics


def case(denied: str, **fields: Any) -> dict[str, Any]:
    return {
        "route": "prior_auth_needed",
        "payer": "Acme",
        "denial_codes": ["CO-197"],
        "denial_date": denied,
        "billed": 1000.0,
        "paid": 0.0,
        **fields,
    }


def test_kpis_and_slices() -> None:
    items = [
        case(
            "2025-01-02",
            worked=True,
            first_submitted_on="2025-01-12",
            decided=1,
            overturned=1,
            recovered=1000.0,
            resolved_on="2025-01-22",
        ),
        case("2025-01-04", worked=True, first_submitted_on="2025-01-08", decided=1, overturned=0),
        case("2025-01-05", reminded=["filing:appeal:2025-01-04:missed"]),
        case("2025-01-06", route="exclusion", payer="Globex", denial_codes=["CO-96"]),
        case("2024-06-01", worked=True),  # outside the range
    ]
    result = analytics(items, dt.date(2025, 1, 1), dt.date(2025, 1, 31))
    assert result["kpis"] == {
        "denials_received": 4,
        "denials_worked_pct": 50.0,
        "denials_appealed_pct": 50.0,
        "overturn_rate_pct": 50.0,
        "avg_days_denial_to_appeal": 7.0,
        "avg_days_denial_to_resolution": 20.0,
        "dollars_at_stake": 3000.0,
        "dollars_recovered": 1000.0,
        "deadlines_missed": 1,
    }
    acme, globex = result["slices"]
    assert (acme["payer"], acme["denial_code"], acme["route"], acme["denials"]) == (
        "Acme",
        "CO-197",
        "prior_auth_needed",
        3,
    )
    assert (globex["payer"], globex["denials"], globex["dollars_at_stake"]) == ("Globex", 1, 1000.0)


def test_an_empty_range_has_no_rates() -> None:
    kpis = analytics([], dt.date(2025, 1, 1), dt.date(2025, 1, 31))["kpis"]
    assert kpis["denials_received"] == 0
    assert kpis["overturn_rate_pct"] is None
