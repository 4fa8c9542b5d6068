"""The deadline engine: the regime's levels ahead of this letter, each with two clocks (DEADLINES.md 4.3).

Rules, in the order they apply:
- the letter's own clock (a printed date, else its window counted from the notice or from receipt) dates
  the first level we file; the programme's rule dates it otherwise. A printed date wins over a computed
  one and every disagreement between them is a warning;
- "from receipt" is the notice date + 5 days in Medicare programmes (the regulation's presumption), else
  the notice date itself, marked `assumed` (the earlier, safe date);
- a rule figure not confirmed against its primary text, or a state rule that varies, is `assumed`;
- months are calendar months rolling to the 1st of the next month (`denialops_shared.periods`);
- a timely-filing limit is never an appeal window; a Medicare FFS timely-filing denial is not appealable;
- clerical errors in a Medicare FFS claim go to a reopening; a claim-correction route files a corrected
  claim first;
- when the case is urgent, levels with an expedited decision clock are on the expedited track and come
  first.
Levels after the first count from a decision not yet made: their filing date is unknown (`due` None).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from denialops_router.domain.letter_signals import LetterSignals, read_letter
from denialops_router.domain.programmes import (
    CHAINS,
    CONTINUED_BENEFITS,
    CORRECTED_CLAIM,
    INTERNAL_APPEAL_REGIMES,
    MEDICAID_REGIMES,
    MEDICARE_RECEIPT_DAYS,
    MEDICARE_REGIMES,
    MEDICARE_REOPENING,
    Anchor,
    LevelRule,
)
from denialops_router.domain.regime import find_regime
from denialops_router.domain.text import make_doc
from denialops_shared.contracts.artifacts import (
    CaseFacts,
    Clock,
    ClockBasis,
    DeadlineBasis,
    DeadlineLevel,
    Deadlines,
    NextAction,
    Regime,
    Route,
    RouteDecision,
    Urgency,
)
from denialops_shared.periods import add_months, add_period, period_words

# No appeal window runs past a year (the longest: a Medicare reopening, 1 year); a longer "window" is
# something else (a frequency limit, a filing limit from the date of service).
LONGEST_WINDOW = "P12M"
CONTINUED_BENEFITS_ACTION = "File the appeal within 10 days of the notice to keep services during the appeal"


@dataclass(frozen=True)
class DeadlineInput:
    facts: CaseFacts
    route: Route
    regime: Regime
    regime_reason: str
    letter: LetterSignals
    urgent: bool


def build_deadlines(facts: CaseFacts, decision: RouteDecision, pages: Sequence[str]) -> Deadlines:
    """`deadlines.json` for a routed letter: the regime read from the facts and the letter, then the clocks."""
    doc = make_doc(pages)
    regime, reason = find_regime(facts, doc)
    urgent = Urgency.EXPEDITED in (facts.urgency, decision.urgency)
    letter = read_letter(facts, doc, regime)
    return compute_deadlines(DeadlineInput(facts, decision.route, regime, reason, letter, urgent))


def compute_deadlines(case: DeadlineInput) -> Deadlines:
    warnings: list[str] = []
    if case.letter.timely_filing and case.regime is Regime.MEDICARE_FFS:
        return Deadlines(
            regime=case.regime,
            regime_reason=case.regime_reason,
            levels=[],
            warnings=[
                "Not appealable: a Medicare timely-filing denial is not an initial determination and is not "
                "subject to appeal (42 CFR 424.44). Check the claim's submission date against the 12-month "
                "limit from the date of service; a claim filed late is written off."
            ],
            next_action=None,
            appealable=False,
        )
    if case.letter.timely_filing:
        warnings.append(
            "Timely-filing denial: the filing limit is not an appeal window; the appeal clock below applies "
            "(send proof that the claim was filed on time)."
        )
    prefix, chain = _levels_ahead(case, warnings)
    if case.urgent and chain[0].level == "appeal" and any(r.level == "external_review" for r in chain):
        warnings.append(
            "Urgent: expedited external review may be requested at the same time as the internal appeal "
            "(45 CFR 147.136)."
        )
    notice = case.facts.date_of_denial
    if notice is None:
        warnings.append("The letter's date is unknown: no deadline can be counted from it; find the notice date.")
    steps = [(_level(case, prefix, None, False, warnings), prefix.action)] if prefix else []
    steps += [
        (_level(case, rule, chain[i - 1].level if i else None, i == 0, warnings), rule.action)
        for i, rule in enumerate(chain)
    ]
    steps.sort(key=lambda step: step[0].track != "expedited")  # stable: expedited levels first
    if case.letter.continued_benefits and case.regime in MEDICAID_REGIMES:
        # The shortest clock of all leads: services continue only if the appeal is in within 10 days.
        steps.insert(0, (_continued_benefits(chain[0], notice), CONTINUED_BENEFITS_ACTION))
    level, action = steps[0]
    return Deadlines(
        regime=case.regime,
        regime_reason=case.regime_reason,
        levels=[level for level, _ in steps],
        warnings=list(dict.fromkeys(warnings)),
        next_action=NextAction(level=level.level, action=action, due=level.filing.due, basis=level.filing.basis),
        appealable=True,
    )


def _levels_ahead(case: DeadlineInput, warnings: list[str]) -> tuple[LevelRule | None, list[LevelRule]]:
    """The chain from the level this letter opens (after an appeal decision, the next one), and the
    route's own step before it (a reopening or a corrected claim) when there is one."""
    chain = list(CHAINS[case.regime])
    start = 0
    decided = case.letter.decided_level
    if case.regime in INTERNAL_APPEAL_REGIMES:
        # ERISA allows two internal levels: only a final internal decision opens external review.
        start = 1 if case.facts.is_final_appeal_decision else 0
    elif case.facts.is_final_appeal_decision or decided is not None:
        names = [rule.level for rule in chain]
        start = names.index(decided) + 1 if decided in names else 1
    ahead = chain[min(start, len(chain) - 1) :]
    if case.route is not Route.CLAIM_CORRECTION_RESUBMIT or start > 0:
        return None, ahead
    if case.regime is Regime.MEDICARE_FFS:
        warnings.append("Do not send a corrected claim while a redetermination is pending.")
        return MEDICARE_REOPENING, ahead
    return CORRECTED_CLAIM, ahead


def _level(
    case: DeadlineInput, rule: LevelRule, after: str | None, letter_dated: bool, warnings: list[str]
) -> DeadlineLevel:
    """`after`: the level whose decision starts this one's clock (None: this letter starts it);
    `letter_dated`: the letter's own deadline (an appeal window, as the router reads it) dates it."""
    expedited = case.urgent and rule.decision is not None and rule.decision.expedited is not None
    rule_clock = _rule_clock(case, rule, after)
    letter = (
        _letter_clock(case, rule, rule_clock, warnings) if letter_dated and rule.anchor is not Anchor.NONE else None
    )
    if letter is None and after is None and not rule.verified:
        if rule.filing is None:
            warnings.append(f"{_level_name(rule)}: no date is known: {rule.source}; check the payer's rules.")
        else:
            warnings.append(
                f"{_level_name(rule)}: {rule_clock.window} is a default not confirmed for this case "
                f"({rule.source}); a date or window in the letter overrides it."
            )
    return DeadlineLevel(
        level=rule.level,
        track="expedited" if expedited else "standard",
        filing=letter or rule_clock,
        decision=_decision_clock(rule, expedited, case.letter.pre_service),
    )


def _rule_clock(case: DeadlineInput, rule: LevelRule, after: str | None) -> Clock:
    if rule.anchor is Anchor.NONE:
        return Clock(
            due=None, basis=ClockBasis.COMPUTED, window="none: the payer forwards the case", source=rule.source
        )
    if rule.filing is None:
        return Clock(due=None, basis=ClockBasis.ASSUMED, window=rule.filing_words, source=rule.source, period=None)
    length = rule.filing_words or period_words(rule.filing)
    if after is not None:
        received = "receipt of " if rule.anchor is Anchor.RECEIPT else ""
        return Clock(
            due=None,
            basis=ClockBasis.COMPUTED if rule.verified else ClockBasis.ASSUMED,
            window=f"{length} from {received}the {after.replace('_', ' ')} decision",
            source=rule.source,
            period=rule.filing,
        )
    start, basis, window = _start(case, rule.anchor, length, verified=rule.verified)
    due = add_period(start, rule.filing) if start is not None else None
    return Clock(due=due, basis=basis, window=window, source=rule.source, period=rule.filing)


def _start(
    case: DeadlineInput, anchor: Anchor, length: str, *, verified: bool
) -> tuple[dt.date | None, ClockBasis, str]:
    """Where a window counts from, how sure that is, and the window in words."""
    notice = case.facts.date_of_denial
    basis = ClockBasis.COMPUTED if verified else ClockBasis.ASSUMED
    if anchor is Anchor.NOTICE:
        return notice, basis, f"{length} from the notice"
    if case.regime in MEDICARE_REGIMES:
        start = notice + dt.timedelta(days=MEDICARE_RECEIPT_DAYS) if notice else None
        return start, basis, f"{length} from receipt (presumed {MEDICARE_RECEIPT_DAYS} days after the notice)"
    return notice, ClockBasis.ASSUMED, f"{length} from receipt (counted from the notice date: receipt is not printed)"


def _letter_clock(case: DeadlineInput, rule: LevelRule, rule_clock: Clock, warnings: list[str]) -> Clock | None:
    """The letter's own deadline for the first level, with its disagreements with the rule flagged."""
    facts = case.facts
    notice = facts.date_of_denial
    days = facts.appeal_window_days
    clock: Clock | None = None
    if facts.appeal_deadline_basis is DeadlineBasis.PRINTED and facts.appeal_deadline is not None:
        clock = Clock(
            due=facts.appeal_deadline,
            basis=ClockBasis.PRINTED,
            window=f"by the printed date ({days} days)" if days else "by the printed date",
            source="printed in the letter",
            period=f"P{days}D" if days else None,
        )
        if days and notice and notice + dt.timedelta(days=days) != facts.appeal_deadline:
            warnings.append(
                f"Conflict: the letter prints {facts.appeal_deadline.isoformat()} but its {days}-day window from "
                f"the notice gives {(notice + dt.timedelta(days=days)).isoformat()}; the printed date is used."
            )
    elif facts.appeal_deadline_basis is DeadlineBasis.FROM_DENIAL_DATE and facts.appeal_deadline and notice:
        clock = _window_from_notice(facts.appeal_deadline, notice, days)
    elif facts.appeal_deadline_basis is DeadlineBasis.FROM_RECEIPT and days and notice:
        start, basis, window = _start(case, Anchor.RECEIPT, f"{days} days", verified=True)
        assert start is not None  # the notice date is known
        clock = Clock(
            due=start + dt.timedelta(days=days),
            basis=basis,
            window=window,
            source="the letter's window",
            period=f"P{days}D",
        )
    if clock is None:
        return None
    if clock.due is not None and notice is not None and clock.due > add_period(notice, LONGEST_WINDOW):
        warnings.append(
            f"The letter's window ends {clock.due.isoformat()}, later than any appeal window allows; it is not "
            "used (a frequency or filing limit read as a window?): check the letter."
        )
        return None
    if clock.due is not None and notice is not None and clock.due < notice:
        warnings.append(
            f"The letter's deadline {clock.due.isoformat()} is before the notice date {notice.isoformat()}; it is "
            "not used (another date read as the deadline?): check the letter."
        )
        return None
    if rule.verified and rule_clock.due is not None and clock.due != rule_clock.due:
        kind = "Conflict" if clock.basis is ClockBasis.PRINTED else "Note"
        warnings.append(
            f"{kind}: the letter's date {_iso(clock.due)} differs from {_iso(rule_clock.due)} by the programme's rule "
            f"({rule_clock.window}, {rule_clock.source}); the letter's date is used."
        )
    if clock.basis is ClockBasis.ASSUMED:
        warnings.append(
            "The window counts from receipt and the receipt date is not printed: counted from the notice date "
            "(the earliest it can be)."
        )
    return clock


def _window_from_notice(deadline: dt.date, notice: dt.date, days: int | None) -> Clock:
    """The router counted the letter's window from the notice (months with `periods.add_months`, as here):
    a window in months is the count that lands on its deadline."""
    months = None if days else next((m for m in range(1, 25) if add_months(notice, m) == deadline), None)
    if months is None:
        days = days or (deadline - notice).days
        return Clock(
            due=deadline,
            basis=ClockBasis.COMPUTED,
            window=f"{days} days from the notice",
            source="the letter's window",
            period=f"P{days}D" if days > 0 else None,  # a deadline before the notice is refused by the caller
        )
    return Clock(
        due=deadline,
        basis=ClockBasis.COMPUTED,
        window=f"{months} months from the notice",
        source="the letter's window",
        period=f"P{months}M",
    )


def _decision_clock(level: LevelRule, expedited: bool, pre_service: bool) -> Clock | None:
    """The payer's clock; it starts when the request is received, so its date is unknown until we file."""
    rule = level.decision
    if rule is None:
        return None
    period = rule.expedited if expedited else rule.pre_service if pre_service else rule.post_service
    if period is None:
        period = rule.post_service or rule.pre_service
    kind = "expedited" if expedited else "pre-service" if pre_service else "post-service"
    return Clock(
        due=None,
        basis=ClockBasis.COMPUTED if rule.verified else ClockBasis.ASSUMED,
        window=f"{period_words(period)} {rule.words} ({kind})" if period else rule.words,
        source=level.source,
        period=period,
    )


def _continued_benefits(first: LevelRule, notice: dt.date | None) -> DeadlineLevel:
    """Medicaid: the appeal filed within 10 days of the notice keeps services going while it is decided."""
    return DeadlineLevel(
        level=first.level,
        track="standard",
        filing=Clock(
            due=add_period(notice, CONTINUED_BENEFITS) if notice else None,
            basis=ClockBasis.COMPUTED,
            window="10 days from the notice, to keep services during the appeal",
            source="42 CFR 431.231; 42 CFR 438.420",
            period=CONTINUED_BENEFITS,
        ),
        decision=None,
    )


def _level_name(rule: LevelRule) -> str:
    return rule.level.replace("_", " ").capitalize()


def _iso(day: dt.date | None) -> str:
    return day.isoformat() if day else "unknown"
