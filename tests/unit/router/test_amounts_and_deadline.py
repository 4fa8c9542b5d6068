"""Amounts by role, and the appeal window among distractor windows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from denialops_router.domain import extract_case_facts
from denialops_shared.contracts.artifacts import DeadlineBasis


def test_paid_is_not_allowed_and_totals_win() -> None:
    letter = (
        "Line 1  99213  charge $120.00  allowed $80.00  paid $64.00\n"
        "Line 2  36415  charge $15.00   allowed $0.00   paid $0.00\n"
        "Total charges: $135.00\nPlan payment: $64.00\nYou may owe: $16.00\n"
    )
    facts = extract_case_facts([letter])
    assert facts.billed_amount == 135.0
    assert facts.allowed_amount == 80.0
    assert facts.paid_amount == 64.0
    assert facts.patient_responsibility == 16.0


def test_pipe_table_totals_row() -> None:
    letter = (
        "| dos        | code  | charge    | allowed | coins  | paid    |\n"
        "|------------|-------|-----------|---------|--------|---------|\n"
        "| 01/05/2025 | 29881 | $3,000.00 | $900.00 | $90.00 | $810.00 |\n"
        "| 01/05/2025 | 29877 | $1,000.00 | $0.00   | $0.00  | $0.00   |\n"
        "| totals     |       | $4,000.00 | $900.00 | $90.00 | $810.00 |\n"
    )
    facts = extract_case_facts([letter])
    assert (facts.billed_amount, facts.allowed_amount, facts.patient_responsibility) == (
        Decimal("4000.00"),
        Decimal("900.00"),
        Decimal("90.00"),
    )
    assert facts.date_of_service == dt.date(2025, 1, 5)


def test_owes_in_words_only_is_none() -> None:
    assert extract_case_facts(["Billed $50.00. The member owes nothing for now."]).patient_responsibility is None


def test_timely_filing_limit_is_not_the_appeal_window() -> None:
    letter = (
        "Notice date: 03/01/2025\nClaims must be submitted within 180 days after the date of service.\n"
        "We received it 200 days after the service date.\n"
        "You may ask us to reconsider within 60 days after the notice date above.\n"
    )
    facts = extract_case_facts([letter])
    assert facts.appeal_window_days == 60
    assert facts.appeal_deadline == dt.date(2025, 4, 30)
    assert facts.appeal_deadline_basis == DeadlineBasis.FROM_DENIAL_DATE


def test_corrected_claim_limit_from_service_date_is_ignored() -> None:
    letter = (
        "April 1, 2025\nCorrected claims are accepted for up to 365 days from the date of service. "
        "You may dispute this within 30 days of this letter.\n"
    )
    assert extract_case_facts([letter]).appeal_window_days == 30


def test_window_from_receipt_has_no_date_but_an_assumption() -> None:
    facts = extract_case_facts(["May 5, 2025\nAn appeal must be filed within 180 days of receiving this letter."])
    assert facts.appeal_window_days == 180
    assert facts.appeal_deadline is None
    assert facts.appeal_deadline_basis == DeadlineBasis.FROM_RECEIPT
    assert facts.assumptions


def test_window_in_months_and_printed_deadline() -> None:
    letter = (
        "March 14, 2025\nYou have 4 months from the date of this letter, until July 14, 2025, to ask for "
        "external review. The reviewer sends a decision within 45 days after it receives your request."
    )
    facts = extract_case_facts([letter])
    assert facts.appeal_window_days is None
    assert facts.appeal_deadline == dt.date(2025, 7, 14)
    assert facts.appeal_deadline_basis == DeadlineBasis.PRINTED


def test_months_from_letter_date_are_calendar_months() -> None:
    facts = extract_case_facts(["Date of this notice: 01/31/2025\nRequest a review within one month of this notice."])
    # There is no Feb 31: the month ends on the first day of the next month (45 CFR 147.136's counting).
    assert facts.appeal_deadline == dt.date(2025, 3, 1)
