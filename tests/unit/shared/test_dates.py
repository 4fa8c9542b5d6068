"""The one date grammar (denialops_shared.contracts.dates) shared by extraction and grounding."""

from __future__ import annotations

import datetime as dt

import pytest

from denialops_shared.contracts.dates import date_shapes, find_dates

D = dt.date


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("March 6, 2025", D(2025, 3, 6)),
        ("Jan. 5, 2025", D(2025, 1, 5)),
        ("Tuesday, March 4, 2025 2:22 PM", D(2025, 3, 4)),
        ("Sept. 9th, 2025", D(2025, 9, 9)),
        ("march 6 2025", D(2025, 3, 6)),
        ("28 Feb 2025", D(2025, 2, 28)),
        ("the 3rd of March 2025", D(2025, 3, 3)),
        ("the 21st of Jan. 2025", D(2025, 1, 21)),
        ("05-JAN-2025", D(2025, 1, 5)),
        ("5-jan-25", D(2025, 1, 5)),
        ("14FEB2025", D(2025, 2, 14)),
        ("MAR-20-2025", D(2025, 3, 20)),
        ("28 de febrero de 2025", D(2025, 2, 28)),
        ("6 de marzo del 2025", D(2025, 3, 6)),
        ("2025-03-06", D(2025, 3, 6)),
        ("2025/01/05", D(2025, 1, 5)),
        ("DTM*472*20250317~", D(2025, 3, 17)),
        ("03/06/2025", D(2025, 3, 6)),
        ("12-20-2024", D(2024, 12, 20)),
        ("1/5/25", D(2025, 1, 5)),
        ("03.06.2025", D(2025, 3, 6)),
        ("DOB 08/14/61", D(1961, 8, 14)),
    ],
)
def test_formats(text: str, expected: dt.date) -> None:
    found = find_dates(f"on {text}.")
    assert [d.value for d in found] == [expected]
    assert found[0].through is None


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        ("January 1\u20133, 2025", D(2025, 1, 1), D(2025, 1, 3)),
        ("Jan 30 - Feb 2, 2025", D(2025, 1, 30), D(2025, 2, 2)),
        ("Dec 30 - Jan 2, 2025", D(2024, 12, 30), D(2025, 1, 2)),
        ("01/01 - 01/03/2025", D(2025, 1, 1), D(2025, 1, 3)),
    ],
)
def test_ranges_in_one_mention(text: str, first: dt.date, last: dt.date) -> None:
    (mention,) = find_dates(f"Dates of service: {text}")
    assert (mention.value, mention.through, mention.days) == (first, last, (first, last))


@pytest.mark.parametrize("join", [" - ", " through ", " to ", "-"])
def test_two_whole_dates_make_a_range(join: str) -> None:
    opening, closing = find_dates(f"Days certified: 08/04/2025{join}08/08/2025 (5 days)")
    assert (opening.value, opening.through, opening.closes_range) == (D(2025, 8, 4), D(2025, 8, 8), False)
    assert (closing.value, closing.closes_range) == (D(2025, 8, 8), True)


def test_dates_out_of_order_are_not_a_range() -> None:
    first, second = find_dates("denied 03/12/2025 - appealed 03/01/2025")
    assert first.through is None
    assert not second.closes_range


def test_of_joins_an_ordinal_day_only() -> None:
    # `page 3 of May 2025` counts pages; only `3rd of May 2025` is a day.
    assert find_dates("page 3 of May 2025") == []


def test_a_colon_after_a_two_digit_year_ends_the_date() -> None:
    assert [d.value for d in find_dates("EOP dated 12/27/24: allowed $0.00")] == [D(2024, 12, 27)]
    assert find_dates("run 1/5/25:30") == []


def test_ocr_noise() -> None:
    text = "MAR- 20-2025 THU 09:41 AM   DATE: O3/2l/2O25"
    assert [d.value for d in find_dates(text)] == [D(2025, 3, 20), D(2025, 3, 21)]


def test_spans_point_at_the_original_text() -> None:
    text = "Stra\u00dfe 1 \u2014 notice date 05-JAN-2025, received 2025/01/09"
    assert [text[d.start : d.end] for d in find_dates(text)] == ["05-JAN-2025", "2025/01/09"]


@pytest.mark.parametrize(
    "text",
    [
        "Claim AB-24-0916-71208 and ref XY24-1209-8876",
        "ICN 2025031800412, ICN 2025-0212-7714-03",
        "QMH_Remit_14FEB2025.pdf",
        "rev. 10/2024, PAGE 01/02, March 2025, 13/45/2025, 2025-02-30, Feb 30, 2025",
        "covid-19 2025",
    ],
)
def test_not_dates(text: str) -> None:
    assert find_dates(text) == []


def test_date_shapes_keep_impossible_days() -> None:
    text = "on 02/30/2025, January 1\u20133, 2025 and 2025-02-03"
    shapes = [(text[start:end], days) for start, end, days in date_shapes(text)]
    assert shapes == [
        ("02/30/2025", ()),
        ("January 1\u20133, 2025", (D(2025, 1, 1), D(2025, 1, 3))),
        ("2025-02-03", (D(2025, 2, 3),)),
    ]
