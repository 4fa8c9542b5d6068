"""Route features: named evidence with spans, robust to hard wraps, and reasons the letter sets aside."""

from __future__ import annotations

from denialops_router.domain import extract_case_facts
from denialops_router.domain.patterns import lower_pattern
from denialops_router.domain.route_features import (
    feature_names,
    negation_feature,
    phrase_feature,
    remark_feature,
    route_features,
)
from denialops_router.domain.text import make_doc
from denialops_shared.contracts.artifacts import Route


def _features(text: str) -> dict[str, float]:
    return {f.name: f.value for f in route_features(extract_case_facts([text]), make_doc([text]))}


def test_a_space_in_a_pattern_matches_a_line_break_but_not_inside_classes_or_lookbehinds() -> None:
    pattern = lower_pattern(r"would not change|a ?b|x[ -]y|no(?<!\wno) way")
    assert pattern.search("would not\n   change")
    assert pattern.search("ab")
    assert pattern.search("a b")
    assert pattern.search("x-y")
    assert pattern.search("no\nway")
    assert not pattern.search("x\ny")


def test_every_feature_is_a_known_column_with_evidence() -> None:
    text = "Claim 88 denied CO-29: the claim was received after the timely filing limit. CO-29 again."
    found = route_features(extract_case_facts([text]), make_doc([text]))
    assert {f.name for f in found} <= set(feature_names())
    assert all(f.evidence and 0 < f.value <= 2 for f in found)
    code = next(f for f in found if f.name == "denial code points to admin_denial")
    assert "CO-29" in code.label


def test_wording_negated_across_a_hard_wrap_is_not_evidence_for_the_route() -> None:
    text = (
        "Because the service is excluded, no prior authorization could have been approved and a review would "
        "not\n  change this decision."
    )
    features = _features(text)
    assert phrase_feature("authorization missing") not in features
    assert features[negation_feature(Route.PRIOR_AUTH_NEEDED)] == 1.0


def test_a_reason_the_letter_sets_aside_or_contradicts_is_negated() -> None:
    set_aside = "Your coverage ended. While you have no coverage, the prior authorization question does not matter."
    assert negation_feature(Route.PRIOR_AUTH_NEEDED) in _features(set_aside)
    contradicted = "CO-15: no authorization number was reported. Our records show that an authorization does exist."
    features = _features(contradicted)
    assert features[negation_feature(Route.PRIOR_AUTH_NEEDED)] == 1.0


def test_a_conditional_reason_counts_half() -> None:
    features = _features("If the service was cosmetic, it is excluded from your plan.")
    assert features[phrase_feature("plan exclusion")] == 1.0  # two matches at half weight


def test_a_letter_saying_nobody_judged_the_clinical_question_negates_medical_necessity() -> None:
    for text in (
        "This is an administrative decision; no physician reviewed the medical necessity of the surgery.",
        "The scan was not reviewed for medical necessity, and this does not mean it was not needed.",
        "The records your surgeon sent met our clinical guidelines for this surgery.",
        "This decision is not about medical need. We would have approved an earlier date.",
    ):
        features = _features(text)
        assert features.get(negation_feature(Route.MEDICAL_NECESSITY_APPEAL)) == 1.0, text
        assert phrase_feature("medical necessity judgement") not in features, text
        assert phrase_feature("clinical review wording") not in features, text


def test_membership_ending_under_a_brand_name_and_a_new_complete_request_are_read() -> None:
    ending = _features("We cannot approve this request because you will not be a Larkspur member on that date.")
    assert phrase_feature("not enrolled or coverage ended") in ending
    request = _features("Send a new, complete prior authorization request. Do not schedule it until it is authorized.")
    assert request[phrase_feature("authorization must be obtained or amended")] == 2.0


def test_a_missing_patient_identifier_remark_points_to_a_corrected_claim() -> None:
    features = _features("Claim 88 was denied. Remark: N382 (missing/incomplete/invalid patient identifier).")
    assert features[remark_feature(Route.CLAIM_CORRECTION_RESUBMIT)] == 1.0


def test_wording_for_a_premise_the_letter_denies_outright_counts_against_its_route() -> None:
    text = (
        "The code returned was 'patient cannot be identified as our insured'. You ARE enrolled. "
        "Nothing is wrong with your coverage; the clinic only needs to correct your date of birth."
    )
    features = _features(text)
    assert phrase_feature("not enrolled or coverage ended") not in features
    assert features[negation_feature(Route.BENEFITS_VERIFICATION)] == 1.0


def test_a_contradiction_stated_as_a_condition_denies_nothing() -> None:
    text = "Your coverage was terminated. If you believe your coverage was active on that date, send proof."
    features = _features(text)
    assert phrase_feature("not enrolled or coverage ended") in features
    assert negation_feature(Route.BENEFITS_VERIFICATION) not in features
