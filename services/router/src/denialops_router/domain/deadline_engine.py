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
import re
from collections.abc import Sequence
from dataclasses import dataclass

from denialops_router.domain.letter_signals import LetterSignals, read_letter
from denialops_router.domain.programmes import (
    CHAINS,
    CONTINUED_BENEFITS,
    CORRECTED_CLAIM,
    MEDICAID_REGIMES,
    MEDICARE_RECEIPT_DAYS,
    MEDICARE_REGIMES,
    MEDICARE_REOPENING,
    Anchor,
    DecisionRule,
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
from denialops_shared.periods import add_months, add_period

_PERIOD_WORDS = re.compile(r"^P(?:(?P<days>\d+)D|(?P<months>\d+)M|T(?P<hours>\d+)H)$")
# No appeal window runs past a year (the longest: a Medicare reopening, 1 year); a longer "window" is
# something else (a frequency limit, a filing limit from the date of service).
LONGEST_WINDOW = "P12M"
CONTINUED_BENEFITS_ACTION = "File the appeal within 10 days of the notice to keep services during the appeal"
_INTERNAL_LEVELS_REPEAT = frozenset({Regime.ERISA, Regime.ACA_INDIVIDUAL, Regime.STATE_FULLY_INSURED})


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
    return compute_deadlines(DeadlineInput(facts, decision.route, regime, reason, read_letter(facts, doc), urgent))


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
    notice = case.facts.date_of_denial
    if notice is None:
        warnings.append("The letter's date is unknown: no deadline can be counted from it; find the notice date.")
    steps = [(_level(case, prefix, True, False, warnings), prefix.action)] if prefix else []
    steps += [(_level(case, rule, i == 0, i == 0, warnings), rule.action) for i, rule in enumerate(chain)]
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
    if case.regime in _INTERNAL_LEVELS_REPEAT:
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
    case: DeadlineInput, rule: LevelRule, from_notice: bool, letter_dated: bool, warnings: list[str]
) -> DeadlineLevel:
    """`from_notice`: the level counts from this letter (else from a later decision); `letter_dated`: the
    letter's own deadline (an appeal window, as the router reads it) dates it."""
    expedited = case.urgent and rule.decision is not None and rule.decision.expedited is not None
    rule_clock = _rule_clock(case, rule, from_notice)
    letter = (
        _letter_clock(case, rule, rule_clock, warnings) if letter_dated and rule.anchor is not Anchor.NONE else None
    )
    if letter is None and from_notice and not rule.verified:
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
        decision=_decision_clock(rule.decision, expedited, case.letter.pre_service),
    )


def _rule_clock(case: DeadlineInput, rule: LevelRule, from_notice: bool) -> Clock:
    if rule.anchor is Anchor.NONE:
        return Clock(
            due=None, basis=ClockBasis.COMPUTED, window="none: the payer forwards the case", source=rule.source
        )
    if rule.filing is None:
        return Clock(due=None, basis=ClockBasis.ASSUMED, window=rule.filing_words, source=rule.source, period=None)
    length = rule.filing_words or _words(rule.filing)
    if not from_notice:
        return Clock(
            due=None,
            basis=ClockBasis.COMPUTED if rule.verified else ClockBasis.ASSUMED,
            window=f"{length} from the decision at the level before",
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
    """The router counted the letter's window from the notice; a window in months is re-counted so that a
    day missing from the end month rolls to the 1st of the next (the router clamps it to the month's end)."""
    if days:
        return Clock(
            due=deadline,
            basis=ClockBasis.COMPUTED,
            window=f"{days} days from the notice",
            source="the letter's window",
            period=f"P{days}D",
        )
    months = (deadline.year - notice.year) * 12 + deadline.month - notice.month
    rolled = add_months(notice, months) if months > 0 else deadline
    clamped = rolled != deadline and rolled - deadline <= dt.timedelta(days=3)
    return Clock(
        due=rolled if clamped else deadline,
        basis=ClockBasis.COMPUTED,
        window=f"{months} months from the notice" if months > 0 else "the letter's window from the notice",
        source="the letter's window",
        period=f"P{months}M" if months > 0 else None,
    )


def _decision_clock(rule: DecisionRule | None, expedited: bool, pre_service: bool) -> Clock | None:
    if rule is None:
        return None
    period = rule.expedited if expedited else rule.pre_service if pre_service else rule.post_service
    if period is None:
        period = rule.post_service or rule.pre_service
    kind = "expedited" if expedited else "pre-service" if pre_service else "post-service"
    return Clock(
        due=None,
        basis=ClockBasis.COMPUTED if rule.verified else ClockBasis.ASSUMED,
        window=f"{_words(period)} {rule.words} ({kind})" if period else rule.words,
        source="the programme's decision deadline, counted from the day the request is received",
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


def _words(period: str) -> str:
    m = _PERIOD_WORDS.match(period)
    assert m is not None  # every period in the tables is one of the three forms
    if m["days"]:
        return f"{m['days']} days"
    if m["months"]:
        return f"{m['months']} months"
    return f"{m['hours']} hours"


def _level_name(rule: LevelRule) -> str:
    return rule.level.replace("_", " ").capitalize()


def _iso(day: dt.date | None) -> str:
    return day.isoformat() if day else "unknown"
