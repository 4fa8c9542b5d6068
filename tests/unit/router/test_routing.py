"""Routing: codes, wording, final decisions and two-reason letters (synthetic snippets)."""

from __future__ import annotations

import pytest

from denialops_router.domain import decide_route, extract_case_facts
from denialops_shared.contracts.artifacts import Route, Urgency


def _route(text: str) -> Route:
    return decide_route(extract_case_facts([text]), [text]).route


@pytest.mark.parametrize(
    ("text", "route"),
    [
        ("Denied CO-197: no authorization was on file for this MRI.", Route.PRIOR_AUTH_NEEDED),
        ("Adjustment CO-4: the required modifier is missing. Send a corrected claim.", Route.CLAIM_CORRECTION_RESUBMIT),
        ("CO-50: the physician reviewer found the procedure not medically necessary.", Route.MEDICAL_NECESSITY_APPEAL),
        ("PR-204: this service is not covered under your plan; it is a plan exclusion.", Route.EXCLUSION),
        ("CO-29: the claim was received after the timely filing limit.", Route.ADMIN_DENIAL),
        ("CO-27: your coverage ended before the date of service.", Route.BENEFITS_VERIFICATION),
        ("We did not pay because your coverage was terminated on 01/31/2025.", Route.BENEFITS_VERIFICATION),
        ("This is a duplicate of a claim we already processed.", Route.ADMIN_DENIAL),
        ("Cosmetic procedures are excluded from your benefits.", Route.EXCLUSION),
    ],
)
def test_single_reason_routes(text: str, route: Route) -> None:
    assert _route(text) == route


def test_other_payer_first_is_admin_not_eligibility() -> None:
    text = (
        "Codes CO-22 and N4. Medicare pays first for you and we pay second. Send us the Medicare Summary "
        "Notice. If you are not enrolled in Medicare, call us."
    )
    assert _route(text) == Route.ADMIN_DENIAL


def test_level_of_care_mentioning_outpatient_rebill_is_medical_necessity() -> None:
    text = (
        "Determination: inpatient level of care not approved (reason code 50). Observation status was "
        "appropriate. The hospital may bill the outpatient services on an outpatient claim; appealing does "
        "not require you to rebill first."
    )
    assert _route(text) == Route.MEDICAL_NECESSITY_APPEAL


def test_prior_auth_not_required_is_a_distractor() -> None:
    text = "Code CO-151. This test did not need prior approval. It was not medically necessary so often."
    assert _route(text) == Route.MEDICAL_NECESSITY_APPEAL


def test_exclusion_beats_a_coding_fix() -> None:
    text = "A. CO 96 / N425 - cosmetic service, excluded. B. CO 16 / N290 - rendering NPI missing."
    assert _route(text) == Route.EXCLUSION


def test_authorization_must_be_fixed_before_the_modifier() -> None:
    text = (
        "CO-15: the authorization was issued for a different procedure only. CO-4: the RT modifier is missing. "
        "Amend the authorization first; a corrected claim alone will deny again."
    )
    assert _route(text) == Route.PRIOR_AUTH_NEEDED


def test_two_reasons_without_codes_follow_the_same_order() -> None:
    text = (
        "The authorization on file does not cover this procedure, and the modifier is missing. "
        "Amend the authorization first, then send a corrected claim with the modifier."
    )
    assert _route(text) == Route.PRIOR_AUTH_NEEDED


FINAL = (
    "APPEAL DECISION - FINAL\nWe reviewed your second-level appeal and uphold the denial because the drug is "
    "investigational. This ends the internal appeal process. You may request an external review by an "
    "independent review organization within 4 months of this letter."
)


def test_final_upheld_appeal_is_escalation_whatever_the_reason() -> None:
    facts = extract_case_facts([FINAL])
    assert facts.is_final_appeal_decision
    assert decide_route(facts, [FINAL]).route == Route.ESCALATION


def test_appeal_decision_offering_another_level_is_not_final() -> None:
    text = (
        "Appeal decision: we uphold the denial; the service is not medically necessary. You may request a "
        "second-level appeal within 60 days of this letter."
    )
    facts = extract_case_facts([text])
    assert not facts.is_final_appeal_decision
    assert decide_route(facts, [text]).route == Route.MEDICAL_NECESSITY_APPEAL


def test_urgency_only_when_the_decision_was_expedited() -> None:
    boilerplate = "CO-50 not medically necessary. If waiting could harm your health, you may ask for a fast appeal."
    urgent = (
        "URGENT PRE-SERVICE REVIEW\nRequest type: pre-service, expedited (72-hour) review. Not medically necessary."
    )
    assert extract_case_facts([boilerplate]).urgency == Urgency.STANDARD
    facts = extract_case_facts([urgent])
    assert facts.urgency == Urgency.EXPEDITED
    assert decide_route(facts, [urgent]).urgency == Urgency.EXPEDITED
    assert facts.claim_number is None


def test_decision_has_signals_with_evidence_and_own_reasoning() -> None:
    text = "Adjustment CO-29: the timely filing limit has passed."
    decision = decide_route(extract_case_facts([text]), [text])
    assert decision.route == Route.ADMIN_DENIAL
    own = [s for s in decision.signals if s.route == decision.route]
    assert own
    assert all(s.evidence for s in own)
    assert "timely filing" in decision.reasoning
    assert 0 < decision.confidence <= 1
