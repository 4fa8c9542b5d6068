"""Regime detection from the payer, the plan and the letter's wording, and the letter signals the engine reads."""

from __future__ import annotations

import pytest

from denialops_router.domain.letter_signals import read_letter
from denialops_router.domain.regime import find_regime
from denialops_router.domain.text import make_doc
from denialops_shared.contracts.artifacts import CaseFacts, DenialCode, Regime

BODY = "We reviewed the claim for the service on 03/04/2025 and denied it.\n\n"


@pytest.mark.parametrize(
    ("facts", "letter", "regime", "cue"),
    [
        (
            CaseFacts(),
            "MEDICARE SUMMARY NOTICE\nPart B (Medical Insurance)\n\n" + BODY,
            Regime.MEDICARE_FFS,
            "medicare summary notice",
        ),
        (
            CaseFacts(payer_name="Noridian Healthcare Solutions"),
            "Remittance advice\n\n" + BODY + "Medicare Part B claims are processed by your MAC.",
            Regime.MEDICARE_FFS,
            "noridian",
        ),
        (
            CaseFacts(payer_name="Amberfield Medicare Advantage"),
            "AMBERFIELD MEDICARE ADVANTAGE (HMO)\n\n" + BODY + "Original Medicare does not cover it either.",
            Regime.MEDICARE_ADVANTAGE,
            "medicare advantage",
        ),
        (
            CaseFacts(),
            "Silverbirch Health\n\n" + BODY + "Silverbirch is an HMO plan with a Medicare contract.",
            Regime.MEDICARE_ADVANTAGE,
            "with a medicare contract",
        ),
        (
            CaseFacts(plan_type="Medicare Advantage"),
            "Notice of Denial of Medicare Prescription Drug Coverage\n\n" + BODY + "Your Part D plan ...",
            Regime.MEDICARE_PART_D,
            "medicare prescription drug",
        ),
        (
            CaseFacts(payer_name="Sunmeadow Medicaid Health Plan"),
            "SUNMEADOW MEDICAID HEALTH PLAN\n\n"
            + BODY
            + "You can ask for a State Fair Hearing with the State Medicaid Agency.",
            Regime.MEDICAID_MANAGED_CARE,
            "medicaid",
        ),
        (
            CaseFacts(payer_name="State Medicaid Program"),
            "Department of Medical Assistance\nNotice of Action\n\n" + BODY + "Medicaid fee-for-service rules apply.",
            Regime.MEDICAID_FFS,
            "medicaid",
        ),
        (
            CaseFacts(plan_name="Tidepool Bronze Saver (Marketplace)"),
            "Individual & Family Plans (Marketplace)\n\n" + BODY,
            Regime.ACA_INDIVIDUAL,
            "marketplace",
        ),
        (
            CaseFacts(),
            "Kestrel Point Health Plan\n\n"
            + BODY
            + "Your plan is governed by ERISA; you may bring a civil action under section 502(a).",
            Regime.ERISA,
            "erisa",
        ),
        (
            CaseFacts(),
            "Granite Ferry Benefit Administrators\nThird-party administrator for the Oakhurst Employee Health Plan\n\n"
            + BODY
            + "You may ask for external review through the state Department of Insurance.",
            Regime.ERISA,
            "third-party administrator",
        ),
        (
            CaseFacts(),
            "Bellwether Mutual Insurance Co.\n\n" + BODY + "Your policy is fully insured and regulated by the state "
            "Department of Insurance, which runs the external review.",
            Regime.STATE_FULLY_INSURED,
            "fully insured",
        ),
    ],
)
def test_the_regime_and_its_reason(facts: CaseFacts, letter: str, regime: Regime, cue: str) -> None:
    found, reason = find_regime(facts, make_doc([letter]))
    assert found is regime, reason
    assert f"'{cue}'" in reason


@pytest.mark.parametrize(
    "letter",
    [
        # Other coverage named in passing is no regime.
        "Harbor Health Plan\n\n"
        + BODY
        + "Please bill the member's employer plan first. Medicaid is the payer of last resort.",
        # A commercial PBM uses "coverage determination" too: Part D needs Medicare.
        "QUILLMARK PHARMACY SOLUTIONS\nCOVERAGE DETERMINATION NOTICE - REQUEST DENIED\n\n" + BODY,
        # Medicare's coverage rules applied by a commercial plan.
        "Lodestar Health\n\n" + BODY + "Lodestar applies the Medicare local coverage determination (LCD) for beds.",
        "Quarry Point Health Plan\nProvider Remittance\n\n" + BODY,
    ],
)
def test_no_regime_from_asides(letter: str) -> None:
    assert find_regime(CaseFacts(), make_doc([letter]))[0] is Regime.UNKNOWN


def test_a_conditional_erisa_sentence_alone_is_not_enough() -> None:
    letter = "Harbor Health Plan\n\n" + BODY + "If your plan is an employer plan covered by ERISA, you may sue."
    assert find_regime(CaseFacts(), make_doc([letter]))[0] is Regime.UNKNOWN


@pytest.mark.parametrize(
    ("letter", "decided"),
    [
        ("MEDICARE REDETERMINATION NOTICE\n\nWe have completed the redetermination. " + BODY, "redetermination"),
        ("Notice of reconsideration decision - denial upheld\n\n" + BODY, "reconsideration"),
        ("This letter gives you our decision on your appeal received on July 18, 2025.", "appeal"),
        ("NOTICE OF APPEAL RESOLUTION\n\nWe reviewed your grievance and uphold the denial.", "appeal"),
        (
            BODY
            + "If you disagree, you can ask for a redetermination. We will send our appeal decision within 60 days.",
            None,
        ),
    ],
)
def test_the_level_a_letter_decides(letter: str, decided: str | None) -> None:
    assert read_letter(CaseFacts(), make_doc([letter])).decided_level == decided


@pytest.mark.parametrize(
    ("facts", "letter", "timely"),
    [
        (CaseFacts(denial_codes=[DenialCode(code="CO-29", kind="carc", group="CO", reason="29")]), BODY, True),
        (CaseFacts(denial_reason="Claim exceeds the timely filing limit"), BODY, True),
        (CaseFacts(), BODY + "The claim was received after the timely filing limit of 12 months had expired.", True),
        (CaseFacts(), BODY + "Claims must be filed within the timely filing limit of 12 months.", False),
        (CaseFacts(), BODY + "If the timely filing limit has passed, you may not bill the member.", False),
    ],
)
def test_a_timely_filing_denial(facts: CaseFacts, letter: str, timely: bool) -> None:
    assert read_letter(facts, make_doc([letter])).timely_filing is timely


def test_continued_benefits_and_pre_service() -> None:
    letter = (
        "PRE-SERVICE REQUEST DENIED\n\n" + BODY + "To keep getting services during your appeal, appeal within 10 days."
    )
    signals = read_letter(CaseFacts(), make_doc([letter]))
    assert signals.continued_benefits
    assert read_letter(CaseFacts(), make_doc([BODY])).continued_benefits is False
