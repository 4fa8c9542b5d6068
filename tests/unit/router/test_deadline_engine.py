"""The deadline engine, one table of cases per regime, drawn from DEADLINES.md 4.1 and the rules of 4.3.

Each row: the case (regime, notice date, what the letter says) and the levels expected, in order, as
(level, track, filing due, basis). `None` for a due date means the clock starts at a later decision.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from denialops_router.domain.deadline_engine import DeadlineInput, compute_deadlines
from denialops_router.domain.letter_signals import LetterSignals
from denialops_shared.contracts.artifacts import (
    CaseFacts,
    ClockBasis,
    DeadlineBasis,
    Deadlines,
    Regime,
    Route,
)
from denialops_shared.periods import add_period

D = dt.date
P, C, A = ClockBasis.PRINTED, ClockBasis.COMPUTED, ClockBasis.ASSUMED
NOTICE = D(2025, 3, 10)
EXP, STD = "expedited", "standard"


@dataclass(frozen=True)
class Case:
    """A letter as the engine sees it; defaults: an initial post-service denial dated NOTICE, no window."""

    notice: dt.date | None = NOTICE
    route: Route = Route.MEDICAL_NECESSITY_APPEAL
    window_days: int | None = None
    deadline: dt.date | None = None
    basis: DeadlineBasis = DeadlineBasis.UNKNOWN
    final: bool = False
    decided: str | None = None
    urgent: bool = False
    timely_filing: bool = False
    continued: bool = False
    pre_service: bool = False

    def facts(self) -> CaseFacts:
        return CaseFacts(
            date_of_denial=self.notice,
            appeal_window_days=self.window_days,
            appeal_deadline=self.deadline,
            appeal_deadline_basis=self.basis,
            is_final_appeal_decision=self.final,
        )

    def run(self, regime: Regime) -> Deadlines:
        facts = self.facts()
        letter = LetterSignals(
            decided_level=self.decided,
            timely_filing=self.timely_filing,
            continued_benefits=self.continued,
            pre_service=self.pre_service,
        )
        return compute_deadlines(DeadlineInput(facts, self.route, regime, "test", letter, self.urgent))


Level = tuple[str, str, dt.date | None, ClockBasis]
Row = tuple[str, Case, list[Level], str | None]


def days(n: int, start: dt.date = NOTICE) -> dt.date:
    return start + dt.timedelta(days=n)


def levels(deadlines: Deadlines) -> list[Level]:
    return [(lv.level, lv.track, lv.filing.due, lv.filing.basis) for lv in deadlines.levels]


def check(regime: Regime, case: Case, expected: list[Level], warning: str | None) -> Deadlines:
    out = compute_deadlines_for(regime, case)
    assert levels(out) == expected
    assert out.appealable
    assert out.next_action is not None
    first = out.levels[0]
    assert (out.next_action.level, out.next_action.due, out.next_action.basis) == (
        first.level,
        first.filing.due,
        first.filing.basis,
    )
    if warning is None:
        assert not [w for w in out.warnings if w.startswith(("Conflict", "Note"))], out.warnings
    else:
        assert any(warning in w for w in out.warnings), out.warnings
    return out


def compute_deadlines_for(regime: Regime, case: Case) -> Deadlines:
    out = case.run(regime)
    Deadlines.model_validate_json(out.model_dump_json())  # the artifact round-trips
    return out


ERISA: list[Row] = [
    # 180 days "following receipt": receipt is not printed, so counted from the notice and assumed.
    ("initial denial", Case(), [("appeal", STD, days(180), A), ("external_review", STD, None, C)], None),
    (
        "printed date wins over the rule and the conflict is flagged",
        Case(deadline=D(2025, 5, 9), basis=DeadlineBasis.PRINTED),
        [("appeal", STD, D(2025, 5, 9), P), ("external_review", STD, None, C)],
        "Conflict: the letter's date 2025-05-09 differs from 2025-09-06",
    ),
    (
        "printed date against the letter's own window",
        Case(deadline=D(2025, 9, 1), basis=DeadlineBasis.PRINTED, window_days=180),
        [("appeal", STD, D(2025, 9, 1), P), ("external_review", STD, None, C)],
        "Conflict: the letter prints 2025-09-01 but its 180-day window from the notice gives 2025-09-06",
    ),
    (
        "window from receipt: notice + window, assumed",
        Case(window_days=180, basis=DeadlineBasis.FROM_RECEIPT),
        [("appeal", STD, days(180), A), ("external_review", STD, None, C)],
        None,
    ),
    (
        "final internal decision opens external review: 4 months, rolling to the 1st",
        Case(notice=D(2025, 10, 31), final=True, decided="appeal"),
        [("external_review", STD, D(2026, 3, 1), A)],
        None,
    ),
    (
        "a first-level appeal decision that is not final: a second internal appeal",
        Case(decided="appeal"),
        [("appeal", STD, days(180), A), ("external_review", STD, None, C)],
        None,
    ),
    (
        "urgent: the expedited track, external review may go at the same time",
        Case(urgent=True),
        [("appeal", EXP, days(180), A), ("external_review", EXP, None, C)],
        "at the same time as the internal appeal",
    ),
    (
        "claim correction: the corrected claim first, its limit unknown",
        Case(route=Route.CLAIM_CORRECTION_RESUBMIT),
        [("corrected_claim", STD, None, A), ("appeal", STD, days(180), A), ("external_review", STD, None, C)],
        None,
    ),
    (
        "urgent claim correction: the expedited appeal leads",
        Case(route=Route.CLAIM_CORRECTION_RESUBMIT, urgent=True),
        [("appeal", EXP, days(180), A), ("external_review", EXP, None, C), ("corrected_claim", STD, None, A)],
        None,
    ),
    (
        "timely-filing denial: still appealable, the limit is not the window",
        Case(timely_filing=True),
        [("appeal", STD, days(180), A), ("external_review", STD, None, C)],
        "the filing limit is not an appeal window",
    ),
]

ACA: list[Row] = [
    ("initial denial", Case(), [("appeal", STD, days(180), A), ("external_review", STD, None, C)], None),
    (
        "final decision: external review 4 months from the notice",
        Case(notice=D(2025, 8, 31), final=True),
        [("external_review", STD, D(2025, 12, 31), A)],
        None,
    ),
    (
        "final decision dated Oct 31: no Feb 31, the first day of the fifth month",
        Case(notice=D(2025, 10, 31), final=True),
        [("external_review", STD, D(2026, 3, 1), A)],
        None,
    ),
    (
        "a 4-month window from Oct 31 rolls to Mar 1 (the router counts months as the engine does)",
        Case(notice=D(2025, 10, 31), final=True, deadline=D(2026, 3, 1), basis=DeadlineBasis.FROM_DENIAL_DATE),
        [("external_review", STD, D(2026, 3, 1), C)],
        None,
    ),
    (
        "the letter's 120-day window differs from the 4-month rule: noted",
        Case(final=True, window_days=120, deadline=days(120), basis=DeadlineBasis.FROM_DENIAL_DATE),
        [("external_review", STD, days(120), C)],
        "Note: the letter's date 2025-07-08 differs from 2025-07-10",
    ),
    (
        "urgent final decision: expedited external review",
        Case(final=True, urgent=True),
        [("external_review", EXP, D(2025, 7, 10), A)],
        None,
    ),
]

STATE: list[Row] = [
    ("initial denial", Case(), [("appeal", STD, days(180), A), ("external_review", STD, None, A)], "default"),
    (
        "final decision: the shortest state window, 60 days, assumed",
        Case(final=True),
        [("external_review", STD, days(60), A)],
        "60 days",
    ),
    (
        "final decision with the letter's 4-month IMR window: the letter wins, no conflict with a default",
        Case(final=True, deadline=D(2025, 7, 10), basis=DeadlineBasis.FROM_DENIAL_DATE),
        [("external_review", STD, D(2025, 7, 10), C)],
        None,
    ),
]

# Medicare counts receipt as the notice date + 5 days: 120-day redetermination -> notice + 125.
MEDICARE_FFS: list[Row] = [
    (
        "initial determination (MSN / remittance)",
        Case(),
        [
            ("redetermination", STD, days(125), C),
            ("reconsideration", STD, None, C),
            ("alj_hearing", STD, None, C),
        ],
        None,
    ),
    (
        "the letter's window from receipt uses the 5-day presumption",
        Case(window_days=120, basis=DeadlineBasis.FROM_RECEIPT),
        [
            ("redetermination", STD, days(125), C),
            ("reconsideration", STD, None, C),
            ("alj_hearing", STD, None, C),
        ],
        None,
    ),
    (
        "a printed date that ignores the presumption: flagged",
        Case(deadline=days(120), basis=DeadlineBasis.PRINTED),
        [
            ("redetermination", STD, days(120), P),
            ("reconsideration", STD, None, C),
            ("alj_hearing", STD, None, C),
        ],
        "Conflict: the letter's date 2025-07-08 differs from 2025-07-13",
    ),
    (
        "redetermination decided: reconsideration, 180 days from receipt",
        Case(decided="redetermination"),
        [("reconsideration", STD, days(185), C), ("alj_hearing", STD, None, C)],
        None,
    ),
    (
        "reconsideration decided: ALJ hearing, 60 days from receipt",
        Case(decided="reconsideration"),
        [("alj_hearing", STD, days(65), C)],
        None,
    ),
    (
        "clerical error: reopening within 1 year, before any redetermination",
        Case(route=Route.CLAIM_CORRECTION_RESUBMIT),
        [
            ("reopening", STD, D(2026, 3, 10), C),
            ("redetermination", STD, days(125), C),
            ("reconsideration", STD, None, C),
            ("alj_hearing", STD, None, C),
        ],
        "Do not send a corrected claim while a redetermination is pending",
    ),
    (
        "urgent: Part A/B redetermination has no expedited track here",
        Case(urgent=True),
        [
            ("redetermination", STD, days(125), C),
            ("reconsideration", STD, None, C),
            ("alj_hearing", STD, None, C),
        ],
        None,
    ),
]

MEDICARE_ADVANTAGE: list[Row] = [
    (
        "initial denial: 60 days from the notice (the rule text says 65: unconfirmed, assumed)",
        Case(),
        [("reconsideration", STD, days(60), A), ("independent_review", STD, None, C)],
        "default not confirmed",
    ),
    (
        "the letter's 65 days: the letter wins, no conflict with an unconfirmed default",
        Case(window_days=65, deadline=days(65), basis=DeadlineBasis.FROM_DENIAL_DATE),
        [("reconsideration", STD, days(65), C), ("independent_review", STD, None, C)],
        None,
    ),
    (
        "the letter's window from receipt: notice + 5 days presumption",
        Case(window_days=60, basis=DeadlineBasis.FROM_RECEIPT),
        [("reconsideration", STD, days(65), C), ("independent_review", STD, None, C)],
        None,
    ),
    (
        "urgent: expedited reconsideration",
        Case(urgent=True),
        [("reconsideration", EXP, days(60), A), ("independent_review", STD, None, C)],
        None,
    ),
    (
        "reconsideration upheld: the plan forwards it to the IRE, nothing to file",
        Case(decided="reconsideration"),
        [("independent_review", STD, None, C)],
        None,
    ),
]

PART_D: list[Row] = [
    (
        "coverage determination denied: redetermination within 65 days",
        Case(),
        [("redetermination", STD, days(65), C), ("independent_review", STD, None, A)],
        None,
    ),
    (
        "urgent: expedited redetermination",
        Case(urgent=True),
        [("redetermination", EXP, days(65), C), ("independent_review", STD, None, A)],
        None,
    ),
    (
        "redetermination decided: the IRE, 65 days (unconfirmed)",
        Case(decided="redetermination"),
        [("independent_review", STD, days(65), A)],
        "default not confirmed",
    ),
]

MEDICAID_MANAGED_CARE: list[Row] = [
    (
        "initial denial: plan appeal first (60 days, unconfirmed), then the fair hearing",
        Case(),
        [("appeal", STD, days(60), A), ("fair_hearing", STD, None, C)],
        "default not confirmed",
    ),
    (
        "plan appeal decided: State Fair Hearing within 120 days of the resolution notice",
        Case(final=True, decided="appeal"),
        [("fair_hearing", STD, days(120), C)],
        None,
    ),
    (
        "aid continuing: the 10-day clock leads",
        Case(continued=True),
        [("appeal", STD, days(10), C), ("appeal", STD, days(60), A), ("fair_hearing", STD, None, C)],
        None,
    ),
    (
        "urgent: expedited plan appeal before the standard fair hearing",
        Case(urgent=True),
        [("appeal", EXP, days(60), A), ("fair_hearing", STD, None, C)],
        None,
    ),
]

MEDICAID_FFS: list[Row] = [
    ("notice of action: fair hearing within 90 days", Case(), [("fair_hearing", STD, days(90), C)], None),
    (
        "aid continuing: the 10-day clock leads",
        Case(continued=True),
        [("fair_hearing", STD, days(10), C), ("fair_hearing", STD, days(90), C)],
        None,
    ),
    (
        "a printed hearing deadline wins",
        Case(deadline=days(95), basis=DeadlineBasis.PRINTED),
        [("fair_hearing", STD, days(95), P)],
        "Conflict",
    ),
]

UNKNOWN: list[Row] = [
    (
        "nothing known: the shortest common window, assumed",
        Case(),
        [("appeal", STD, days(60), A), ("external_review", STD, None, A)],
        "default not confirmed",
    ),
    (
        "the letter's window decides",
        Case(window_days=180, deadline=days(180), basis=DeadlineBasis.FROM_DENIAL_DATE),
        [("appeal", STD, days(180), C), ("external_review", STD, None, A)],
        None,
    ),
    (
        "no notice date: nothing can be counted",
        Case(notice=None),
        [("appeal", STD, None, A), ("external_review", STD, None, A)],
        "The letter's date is unknown",
    ),
    (
        "a 60-month 'window' (a frequency limit) is not an appeal window",
        Case(deadline=D(2030, 3, 10), basis=DeadlineBasis.FROM_DENIAL_DATE),
        [("appeal", STD, days(60), A), ("external_review", STD, None, A)],
        "later than any appeal window allows",
    ),
    (
        "a deadline before the notice date is another date misread",
        Case(deadline=days(-20), basis=DeadlineBasis.PRINTED),
        [("appeal", STD, days(60), A), ("external_review", STD, None, A)],
        "is before the notice date",
    ),
    (
        "a final internal decision: external review, by the letter's 4 months",
        Case(final=True, deadline=D(2025, 7, 10), basis=DeadlineBasis.FROM_DENIAL_DATE),
        [("external_review", STD, D(2025, 7, 10), C)],
        None,
    ),
]

TABLES: dict[Regime, list[Row]] = {
    Regime.ERISA: ERISA,
    Regime.ACA_INDIVIDUAL: ACA,
    Regime.STATE_FULLY_INSURED: STATE,
    Regime.MEDICARE_FFS: MEDICARE_FFS,
    Regime.MEDICARE_ADVANTAGE: MEDICARE_ADVANTAGE,
    Regime.MEDICARE_PART_D: PART_D,
    Regime.MEDICAID_MANAGED_CARE: MEDICAID_MANAGED_CARE,
    Regime.MEDICAID_FFS: MEDICAID_FFS,
    Regime.UNKNOWN: UNKNOWN,
}
ROWS = [(regime, *row) for regime, rows in TABLES.items() for row in rows]


def test_every_regime_has_a_table() -> None:
    assert set(TABLES) == set(Regime)


@pytest.mark.parametrize(
    ("regime", "name", "case", "expected", "warning"), ROWS, ids=[f"{r[0].value}: {r[1]}" for r in ROWS]
)
def test_deadlines(regime: Regime, name: str, case: Case, expected: list[Level], warning: str | None) -> None:
    check(regime, case, expected, warning)


def test_a_medicare_timely_filing_denial_is_not_appealable() -> None:
    for case in (Case(timely_filing=True), Case(timely_filing=True, route=Route.ADMIN_DENIAL, urgent=True)):
        out = compute_deadlines_for(Regime.MEDICARE_FFS, case)
        assert (out.appealable, out.levels, out.next_action) == (False, [], None)
        assert "42 CFR 424.44" in out.warnings[0]


@pytest.mark.parametrize(
    ("regime", "case", "period"),
    [
        (Regime.ERISA, Case(), "P60D"),  # post-service appeal
        (Regime.ERISA, Case(pre_service=True), "P30D"),
        (Regime.ERISA, Case(urgent=True), "PT72H"),
        (Regime.ACA_INDIVIDUAL, Case(final=True), "P45D"),  # federal external review
        (Regime.ACA_INDIVIDUAL, Case(final=True, urgent=True), "PT72H"),
        (Regime.MEDICARE_FFS, Case(), "P60D"),
        (Regime.MEDICARE_FFS, Case(decided="reconsideration"), "P90D"),  # ALJ
        (Regime.MEDICARE_ADVANTAGE, Case(pre_service=True), "P30D"),
        (Regime.MEDICARE_ADVANTAGE, Case(), "P60D"),  # payment
        (Regime.MEDICARE_PART_D, Case(pre_service=True), "P7D"),
        (Regime.MEDICARE_PART_D, Case(), "P14D"),  # payment
        (Regime.MEDICARE_PART_D, Case(urgent=True), "PT72H"),
        (Regime.MEDICAID_MANAGED_CARE, Case(), "P30D"),
        (Regime.MEDICAID_MANAGED_CARE, Case(final=True), "P90D"),  # fair hearing
        (Regime.MEDICAID_FFS, Case(), "P90D"),
    ],
)
def test_the_payers_decision_clock_of_the_next_level(regime: Regime, case: Case, period: str) -> None:
    decision = compute_deadlines_for(regime, case).levels[0].decision
    assert decision is not None
    assert decision.due is None, "it starts when we file"
    assert decision.period == period
    filed = D(2025, 4, 1)
    assert add_period(filed, period) > filed


def test_levels_without_a_payer_clock() -> None:
    assert compute_deadlines_for(Regime.UNKNOWN, Case()).levels[0].decision is None
    ira = compute_deadlines_for(Regime.MEDICARE_ADVANTAGE, Case(decided="reconsideration"))
    assert ira.next_action is not None
    assert ira.next_action.action.startswith("Nothing to file")


def test_every_filing_clock_states_its_window_and_source() -> None:
    for regime, _, case, _, _ in ROWS:
        for level in compute_deadlines_for(regime, case).levels:
            assert level.filing.source
            assert level.filing.window
            if level.filing.basis is not ClockBasis.PRINTED and level.filing.due is not None:
                assert level.filing.period is not None


def test_the_dated_filing_clock_matches_its_period() -> None:
    """A computed date is the notice (+5 days in Medicare when counted from receipt) plus the period."""
    for regime, _, case, _, _ in ROWS:
        for level in compute_deadlines_for(regime, case).levels:
            clock = level.filing
            if clock.basis is ClockBasis.PRINTED or clock.due is None or case.notice is None:
                continue
            assert clock.period is not None
            starts = {case.notice, case.notice + dt.timedelta(days=5)}
            assert clock.due in {add_period(s, clock.period) for s in starts}, (regime, level)


def test_the_next_deadline_is_the_first_dated_level() -> None:
    correction = compute_deadlines_for(Regime.ERISA, Case(route=Route.CLAIM_CORRECTION_RESUBMIT))
    assert correction.next_action is not None
    assert correction.next_action.due is None, "the corrected claim's limit is the payer's"
    dated = correction.next_dated_level()
    assert dated is not None
    assert (dated.level, dated.filing.due) == ("appeal", days(180))
    assert compute_deadlines_for(Regime.MEDICARE_ADVANTAGE, Case(decided="reconsideration")).next_dated_level() is None
