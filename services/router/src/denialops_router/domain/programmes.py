"""Timelines by programme (DEADLINES.md 4.1) as data: each regime's chain of review levels.

Periods are ISO 8601 (`P120D`, `P4M`, `PT72H`, see `denialops_shared.periods`). `verified=False` marks a
figure DEADLINES.md flags `[K]` (not confirmed against a primary text): it is a default that a printed
date or window in the letter overrides, and the engine says so. Where a rule varies (states), the
shortest common window is used so that a default never makes us late.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from denialops_shared.contracts.artifacts import Regime


class Anchor(StrEnum):
    """What a filing window counts from."""

    NOTICE = "notice"  # the date of the notice
    RECEIPT = "receipt"  # its receipt (Medicare presumes 5 days after the notice date)
    NONE = "none"  # nobody files: the payer forwards the case itself


@dataclass(frozen=True)
class DecisionRule:
    """The payer's clock once we file: standard pre-service / post-service, expedited (None: no such track)."""

    pre_service: str | None
    post_service: str | None
    expedited: str | None
    words: str  # "after the appeal is received", with what happens when the payer is late
    verified: bool = True


@dataclass(frozen=True)
class LevelRule:
    level: str
    action: str
    filing: str | None  # the period to file in; None when nobody files or the rule has no fixed period
    anchor: Anchor
    source: str
    decision: DecisionRule | None
    verified: bool = True
    filing_words: str | None = None  # the window in words when it is not a plain period (state law varies)


# Medicare counts a window "from receipt" from the notice date + 5 days (42 CFR 405.942(a)(1), 405.962(a)(1)).
MEDICARE_RECEIPT_DAYS = 5
MEDICARE_REGIMES = frozenset({Regime.MEDICARE_FFS, Regime.MEDICARE_ADVANTAGE, Regime.MEDICARE_PART_D})
MEDICAID_REGIMES = frozenset({Regime.MEDICAID_MANAGED_CARE, Regime.MEDICAID_FFS})
# Medicaid: services continue during the appeal if it is filed within 10 days of the notice (42 CFR 431.231).
CONTINUED_BENEFITS = "P10D"

_EXTERNAL_REVIEW = LevelRule(
    level="external_review",
    action="Request external review by an independent review organization (IRO)",
    filing="P4M",
    anchor=Anchor.RECEIPT,
    source="45 CFR 147.136(d); 29 CFR 2590.715-2719 (non-grandfathered plans)",
    decision=DecisionRule(None, "P45D", "PT72H", "after the IRO receives the request; its decision binds the plan"),
)
_ACA_INTERNAL = DecisionRule(
    "P30D", "P60D", "PT72H", "after the appeal is received (late: deemed exhaustion, go to external review)"
)

CHAINS: dict[Regime, tuple[LevelRule, ...]] = {
    Regime.ERISA: (
        LevelRule(
            level="appeal",
            action="File the internal appeal with the plan",
            filing="P180D",
            anchor=Anchor.RECEIPT,
            source="29 CFR 2560.503-1(h)(3)(i), (i)(2)",
            decision=_ACA_INTERNAL,
        ),
        _EXTERNAL_REVIEW,
    ),
    Regime.ACA_INDIVIDUAL: (
        LevelRule(
            level="appeal",
            action="File the internal appeal with the plan",
            filing="P180D",
            anchor=Anchor.RECEIPT,
            source="45 CFR 147.136(b); healthcare.gov internal appeals",
            decision=_ACA_INTERNAL,
        ),
        _EXTERNAL_REVIEW,
    ),
    Regime.STATE_FULLY_INSURED: (
        LevelRule(
            level="appeal",
            action="File the grievance or appeal with the plan",
            filing="P180D",
            anchor=Anchor.RECEIPT,
            source="state insurance law and the policy (federal floor 180 days)",
            decision=DecisionRule(
                "P30D",
                "P30D",
                "PT72H",
                "after the grievance is received (CA DMHC 30 d / 3 d urgent; NY 30 d, late = deemed reversal)",
                verified=False,
            ),
            verified=False,
        ),
        LevelRule(
            level="external_review",
            action="Request the state's external review (IMR) through the Department of Insurance",
            filing="P60D",
            anchor=Anchor.RECEIPT,
            source="state external review law: 60 days to 6 months by state (CA IMR 6 months, NY 4 months)",
            decision=DecisionRule(None, "P30D", "PT72H", "after the state's reviewer receives the case", False),
            verified=False,
            filing_words="the shortest state window, 60 days,",
        ),
    ),
    Regime.MEDICARE_FFS: (
        LevelRule(
            level="redetermination",
            action="Request a redetermination from the Medicare Administrative Contractor (MAC)",
            filing="P120D",
            anchor=Anchor.RECEIPT,
            source="42 CFR 405.942 (receipt presumed 5 days after the notice)",
            decision=DecisionRule("P60D", "P60D", None, "after the MAC receives the request"),
        ),
        LevelRule(
            level="reconsideration",
            action="Request reconsideration by the Qualified Independent Contractor (QIC)",
            filing="P180D",
            anchor=Anchor.RECEIPT,
            source="42 CFR 405.962 (receipt presumed 5 days after the notice)",
            decision=DecisionRule(
                "P60D", "P60D", None, "after the QIC receives the request (+14 d per late submission; late: escalate)"
            ),
        ),
        LevelRule(
            level="alj_hearing",
            action="Request an ALJ hearing with OMHA (the amount in controversy must reach the year's minimum)",
            filing="P60D",
            anchor=Anchor.RECEIPT,
            source="42 CFR 405.1014 (amount in controversy: 200 dollars in 2026)",
            decision=DecisionRule("P90D", "P90D", None, "after OMHA receives the request (late: escalate)"),
        ),
    ),
    Regime.MEDICARE_ADVANTAGE: (
        LevelRule(
            level="reconsideration",
            action="Ask the plan for a reconsideration (a physician may ask without being appointed)",
            filing="P60D",
            anchor=Anchor.NOTICE,
            source="42 CFR 422.582 (CMS pages: 60 days; the current rule text says 65 days)",
            decision=DecisionRule(
                "P30D",
                "P60D",
                "PT72H",
                "after the plan receives the request (late or adverse: auto-forward to the IRE)",
            ),
            verified=False,
        ),
        LevelRule(
            level="independent_review",
            action="Nothing to file: the plan forwards an upheld reconsideration to the IRE",
            filing=None,
            anchor=Anchor.NONE,
            source="42 CFR 422.590, 422.592 (auto-forward to the IRE)",
            decision=None,
        ),
    ),
    Regime.MEDICARE_PART_D: (
        LevelRule(
            level="redetermination",
            action="Ask the plan sponsor for a redetermination",
            filing="P65D",
            anchor=Anchor.NOTICE,
            source="42 CFR 423.582",
            decision=DecisionRule("P7D", "P14D", "PT72H", "after the sponsor receives the request (14 days: payment)"),
        ),
        LevelRule(
            level="independent_review",
            action="Request reconsideration by the Part D independent review entity (IRE)",
            filing="P65D",
            anchor=Anchor.NOTICE,
            source="42 CFR 423.600",
            decision=None,
            verified=False,
        ),
    ),
    Regime.MEDICAID_MANAGED_CARE: (
        LevelRule(
            level="appeal",
            action="File the plan appeal (it must be exhausted before a State Fair Hearing)",
            filing="P60D",
            anchor=Anchor.NOTICE,
            source="42 CFR 438.402(c)",
            decision=DecisionRule(
                "P30D",
                "P30D",
                "PT72H",
                "after the plan receives the appeal (late: deemed exhausted, go to a hearing)",
                False,
            ),
            verified=False,
        ),
        LevelRule(
            level="fair_hearing",
            action="Request a State Fair Hearing with the State Medicaid agency",
            filing="P120D",
            anchor=Anchor.NOTICE,
            source="42 CFR 438.408(f)",
            decision=DecisionRule("P90D", "P90D", None, "after the state receives the request"),
        ),
    ),
    Regime.MEDICAID_FFS: (
        LevelRule(
            level="fair_hearing",
            action="Request a State Fair Hearing with the State Medicaid agency",
            filing="P90D",
            anchor=Anchor.NOTICE,
            source="42 CFR 431.221(d)",
            decision=DecisionRule("P90D", "P90D", None, "after the state receives the request (42 CFR 431.244(f))"),
        ),
    ),
    Regime.UNKNOWN: (
        LevelRule(
            level="appeal",
            action="File the appeal with the payer (confirm its window: the programme is not known)",
            filing="P60D",
            anchor=Anchor.NOTICE,
            source="the shortest common appeal window (Medicare Advantage, Medicaid plans: 60 days)",
            decision=None,
            verified=False,
        ),
    ),
}

# Clerical errors in a Medicare FFS claim go to a reopening, within 1 year (42 CFR 405.980(a)(3), (b)(1)).
MEDICARE_REOPENING = LevelRule(
    level="reopening",
    action="Ask the MAC to reopen the claim and fix the clerical error (not a redetermination)",
    filing="P12M",
    anchor=Anchor.NOTICE,
    source="42 CFR 405.980(a)(3), (b)(1)",
    decision=None,
)
CORRECTED_CLAIM = LevelRule(
    level="corrected_claim",
    action="Send a corrected claim",
    filing=None,
    anchor=Anchor.NOTICE,
    source="the payer's timely-filing limit for corrected claims (a filing limit, not an appeal window)",
    decision=None,
    verified=False,
    filing_words="within the payer's corrected-claim filing limit",
)
