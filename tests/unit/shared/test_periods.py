"""Period arithmetic: calendar months roll forward to the 1st when the day does not exist."""

from __future__ import annotations

import datetime as dt

import pytest

from denialops_shared.periods import add_months, add_period

D = dt.date


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (D(2025, 3, 15), 4, D(2025, 7, 15)),
        (D(2025, 10, 31), 4, D(2026, 3, 1)),  # no Feb 31: "the first day of the fifth month"
        (D(2023, 10, 29), 4, D(2024, 2, 29)),  # leap year: the day exists
        (D(2025, 10, 29), 4, D(2026, 3, 1)),
        (D(2025, 8, 31), 1, D(2025, 10, 1)),  # no Sep 31
        (D(2025, 12, 31), 2, D(2026, 3, 1)),  # across the year end
        (D(2025, 5, 31), 7, D(2025, 12, 31)),
        (D(2025, 1, 31), 12, D(2026, 1, 31)),
        (D(2025, 6, 30), 6, D(2025, 12, 30)),
    ],
)
def test_add_months(start: dt.date, months: int, expected: dt.date) -> None:
    assert add_months(start, months) == expected


@pytest.mark.parametrize(
    ("period", "expected"),
    [
        ("P60D", D(2025, 12, 30)),
        ("P180D", D(2026, 4, 29)),
        ("P4M", D(2026, 3, 1)),
        ("PT72H", D(2025, 11, 3)),
        ("PT24H", D(2025, 11, 1)),
        ("PT36H", D(2025, 11, 2)),  # a day begun counts
    ],
)
def test_add_period(period: str, expected: dt.date) -> None:
    assert add_period(D(2025, 10, 31), period) == expected


@pytest.mark.parametrize("period", ["60", "P2W", "P1Y", "PT", "P-3D", ""])
def test_add_period_rejects_other_periods(period: str) -> None:
    with pytest.raises(ValueError, match="not a period"):
        add_period(D(2025, 1, 1), period)
