"""The letter's own deadline: printed dates, windows in days or months, what a window counts from."""

from __future__ import annotations

import datetime as dt

import pytest

from denialops_router.domain.deadline import Deadline, find_deadline
from denialops_router.domain.text import make_doc
from denialops_shared.contracts.artifacts import DeadlineBasis

LETTER_DATE = dt.date(2025, 3, 14)


def deadline(text: str, final_decision: bool = False) -> Deadline:
    return find_deadline(make_doc([text]), LETTER_DATE, final_decision)


def test_window_from_the_notice_date() -> None:
    found = deadline("If you disagree with this decision, you may appeal within 60 days of the date of this notice.")
    assert (found.window_days, found.deadline) == (60, dt.date(2025, 5, 13))
    assert found.basis == DeadlineBasis.FROM_DENIAL_DATE


@pytest.mark.parametrize(
    "text",
    [
        "You may appeal within 180 days after you receive this letter.",
        "You can appeal within 180 days of receiving this notice.",
    ],
)
def test_window_from_receipt_has_no_date(text: str) -> None:
    found = deadline(text)
    assert (found.window_days, found.deadline, found.basis) == (180, None, DeadlineBasis.FROM_RECEIPT)
    assert found.assumptions


def test_months_are_calendar_months_and_no_day_count() -> None:
    found = deadline("You may ask for an external review no later than 4\nmonths after the date of this notice.")
    assert (found.window_days, found.deadline) == (None, dt.date(2025, 7, 14))


def test_a_printed_date_wins() -> None:
    found = deadline("Appeals must be filed within 60 days. Appeals must be filed by: May 9, 2025")
    assert (found.window_days, found.deadline, found.basis) == (60, dt.date(2025, 5, 9), DeadlineBasis.PRINTED)


def test_a_printed_date_before_the_letter_tells_of_the_past() -> None:
    found = deadline("Send proof your claim reached us by 02/18/2025. Ask for a review within 30 days of this letter.")
    assert (found.deadline, found.basis) == (dt.date(2025, 4, 13), DeadlineBasis.FROM_DENIAL_DATE)


@pytest.mark.parametrize(
    "text",
    [
        "Claims must be filed within 90 days of the date of service.",
        "Timely filing for original claims is 365 days from the date of service.",
        "Another carrier accepts claims for 90 days.",
        "We will decide your appeal within 30 days. A fast appeal is decided within 72 hours.",
        "The plan covers 2 pens per 28 days after you start; you may appeal if you disagree.",
        "Your request arrived on 03/06/2025, 31 days after the start of care. You may appeal.",
        "A replacement crown is allowed within 60 months of its placement. You may appeal.",
    ],
)
def test_limits_that_are_not_the_next_steps_window(text: str) -> None:
    found = deadline(text)
    assert (found.window_days, found.deadline) == (None, None)


def test_proof_of_timely_filing_counted_from_the_notice_is_a_window() -> None:
    found = deadline("Denied CO-29. Proof of timely filing must reach us within 60 days of the notice date.")
    assert (found.window_days, found.deadline) == (60, dt.date(2025, 5, 13))


def test_the_named_step_beats_another_action() -> None:
    found = deadline(
        "A disability certification has to be filed within 31 days of the birthday notice. "
        "You may appeal within 60 days of the date of this decision."
    )
    assert found.window_days == 60


def test_a_later_levels_window_counts_only_in_the_final_decision() -> None:
    text = (
        "You may appeal within 180 days of this notice. If we uphold the denial, you may ask for an "
        "external review within 4 months of our final decision."
    )
    assert deadline(text).window_days == 180
    final = deadline(
        "We upheld the denial. You may ask for an external review by an independent review organization. "
        "Ask within 4 months of the date of this notice. You may send the IRO more information within 10 "
        "business days after the IRO tells you it has your case.",
        final_decision=True,
    )
    assert (final.window_days, final.deadline) == (None, dt.date(2025, 7, 14))


def test_a_case_the_plan_forwarded_has_no_deadline() -> None:
    found = deadline(
        "Because we did not decide fully in your favor, we have sent your case to the Independent "
        "Review Entity. You do not need to do anything to start this review. Other appeals: 60 days."
    )
    assert (found.window_days, found.deadline, found.basis) == (None, None, DeadlineBasis.UNKNOWN)
    assert found.assumptions


def test_a_conditional_forward_keeps_the_window() -> None:
    found = deadline(
        "You may ask for a reconsideration within 65 days of this notice. If we keep the denial, your case "
        "will be sent automatically to an independent organization."
    )
    assert found.window_days == 65


@pytest.mark.parametrize(
    ("text", "window", "due"),
    [
        ("You may appeal within one year of the date of this notice.", None, dt.date(2026, 3, 14)),
        ("You may appeal within 180 days of the date on the EOB.", 180, dt.date(2025, 9, 10)),
        ("Appeal within 60 days from the date of this adverse benefit determination.", 60, dt.date(2025, 5, 13)),
        ("Deadline to appeal: 07/31/2025", None, dt.date(2025, 7, 31)),
        ("The last day to file your appeal is August 1, 2025.", None, dt.date(2025, 8, 1)),
        ("You may appeal within twenty-one (21) days of this notice.", 21, dt.date(2025, 4, 4)),
        ("You may appeal within sixty (60) calendar days of this notice.", 60, dt.date(2025, 5, 13)),
        # `for` a length counted from this letter is its window (`for 30 days` alone is a length of care).
        (
            "Appeals are accepted for 180 days after the date of this Explanation of Benefits.",
            180,
            dt.date(2025, 9, 10),
        ),
        # A hard-wrapped, indented line puts the unit under the number.
        (
            "  3. You may request a reconsideration within 120\n     days of the date of this letter.",
            120,
            dt.date(2025, 7, 12),
        ),
    ],
)
def test_more_ways_to_state_the_window_or_the_date(text: str, window: int | None, due: dt.date) -> None:
    found = deadline(text)
    assert (found.window_days, found.deadline) == (window, due)


def test_a_month_window_rolls_a_missing_day_to_the_first_of_the_next_month() -> None:
    # One calendar-month rule for the letter's window and the deadline engine (45 CFR 147.136): Oct 31 + 4
    # months has no Feb 31, so the window ends on Mar 1 (not clamped to Feb 28).
    text = "You may ask for an external review within 4 months after the date of this notice."
    found = find_deadline(make_doc([text]), dt.date(2025, 10, 31), True)
    assert (found.window_days, found.deadline) == (None, dt.date(2026, 3, 1))
