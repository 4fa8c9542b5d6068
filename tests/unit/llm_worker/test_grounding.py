"""Grounding: codes, dates and amounts must come from the facts (or the plan's own dates)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from denialops_llm_worker.domain import build_action_plan, check_grounding
from denialops_llm_worker.domain.grounding import _mask_pattern, _mask_values
from denialops_shared.contracts.artifacts import CaseFacts, Route, RouteDecision


@pytest.fixture
def facts(make_facts: Callable[..., CaseFacts]) -> CaseFacts:
    return make_facts(Route.CLAIM_CORRECTION_RESUBMIT)


@pytest.mark.parametrize(
    "text",
    [
        "CPT 72148 and 99214, HCPCS J1885, diagnoses M54.16 and M51.26 (also written M5416).",
        "Denied with CO-16, CO 16 and RARC N290.",
        "Service on February 3, 2025, Feb 3, 2025, 3 Feb 2025, 02/03/2025, 2/3/25, 2025-02-03 and 02-03-2025.",
        "Denied on 20th February 2025; deadline April 21, 2025.",
        "Seen 03-FEB-2025 (2025/02/03, Feb. 3, 2025, 20250203); from Feb 3\u201320, 2025 (both ends are facts).",
        "Letter dated 02/20/2025 - 04/21/2025 is the last day to appeal.",
        "Billed $1,234.50 ($1234.5), allowed $0.00, patient owes $185.25.",
        "Member IWM 6631 0027 14, claim IW-24-0916-71208, NPI 1234567893, fax (804) 555-0126.",
        "Mail to PO Box 71208, Richmond, VA 23218.",  # the ZIP code is not a CPT code
        "Call within 72 hours; allow 30 days; the case has 5 steps.",
    ],
)
def test_values_from_the_facts_are_grounded(text: str, facts: CaseFacts) -> None:
    report = check_grounding(text, facts)
    assert report.grounded, report.ungrounded


@pytest.mark.parametrize(
    ("text", "token"),
    [
        ("Resubmit with CPT 72149.", "72149"),
        ("Category III code 0275T applies.", "0275T"),
        ("Bill HCPCS J1886 instead.", "J1886"),
        ("Diagnosis M54.17 supports it.", "M54.17"),
        ("Denied with CO-197.", "CO-197"),
        ("Denied with PR-16.", "PR-16"),  # right reason, invented group
        ("See reason code 45.", "reason code 45"),
        ("See RARC N386.", "N386"),
        ("See RARC MA130.", "MA130"),
        ("Received March 7, 2025.", "March 7, 2025"),
        ("Received 03/07/2025.", "03/07/2025"),
        ("Received 2025-03-07.", "2025-03-07"),
        ("Received 7 Mar 2025.", "7 Mar 2025"),
        ("Received 02/30/2025.", "02/30/2025"),  # not a real date
        ("Received 07-MAR-2025.", "07-MAR-2025"),
        ("Stay of February 3\u20135, 2025.", "February 3\u20135, 2025"),  # the last day is not in the facts
        ("Stay 02/03/2025 through 02/05/2025.", "02/05/2025"),
        ("The patient owes $185.26.", "$185.26"),
        ("Billed $12,345.00.", "$12,345.00"),
        ("Mail to PO Box 71208, Richmond, VA 23219.", "23219"),
    ],
)
def test_invented_values_are_reported(text: str, token: str, facts: CaseFacts) -> None:
    report = check_grounding(text, facts)
    assert not report.grounded
    assert report.ungrounded == [token]


def test_each_ungrounded_value_is_reported_once(facts: CaseFacts) -> None:
    report = check_grounding("CPT 11111, again 11111, on 1/2/2024 and $9.99.", facts)
    assert report.ungrounded == ["$9.99", "1/2/2024", "11111"]


def test_plan_dates_are_grounded_only_with_the_plan(
    facts: CaseFacts, make_decision: Callable[..., RouteDecision], today: dt.date
) -> None:
    plan = build_action_plan(facts, make_decision(Route.CLAIM_CORRECTION_RESUBMIT), today)
    due = next(step.due_date for step in plan.steps if step.due_date not in (facts.appeal_deadline, None))
    assert due is not None
    text = f"As of {today:%B} {today.day}, {today.year}, send it by {due.isoformat()}."

    assert check_grounding(text, facts, plan).grounded
    assert not check_grounding(text, facts).grounded


def test_empty_facts_ground_nothing() -> None:
    report = check_grounding("CPT 99214 on 2025-02-03 for $10.00.", CaseFacts())
    assert report.ungrounded == ["$10.00", "2025-02-03", "99214"]


def test_text_without_codes_dates_or_amounts_is_grounded() -> None:
    report = check_grounding("Call the payer and ask for the appeal address.", CaseFacts())
    assert report.grounded
    assert report.checked == 0


_VALUE_PIECES = ("IW", "24", "0916", "-", ".", " ", "Box", "Richmond", ",", "(804)", "_", "é")


@given(
    st.lists(st.lists(st.sampled_from(_VALUE_PIECES), min_size=1, max_size=4).map("".join), min_size=1, max_size=5),
    st.lists(st.sampled_from((*_VALUE_PIECES, "x", "9", "\n", ".5")), max_size=16).map("".join),
)
def test_the_mask_blanks_exactly_the_whole_values_a_plain_alternation_does(values: list[str], text: str) -> None:
    # The mask checks the character before a value after the value's first one (for speed): the same as
    # a lookbehind before the alternation.
    masked = _mask_values(values)
    assume(masked)
    plain = re.compile(rf"(?<![\w.])(?:{'|'.join(map(re.escape, masked))})(?![\w]|\.\w)")
    assert _mask_pattern(masked).sub(" ", text) == plain.sub(" ", text)
