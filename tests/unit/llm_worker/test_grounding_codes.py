"""The grounding check reads codes with the extractor's grammar: every spelling of a fact's code counts."""

from __future__ import annotations

from denialops_llm_worker.domain.grounding import check_grounding
from denialops_shared.contracts.artifacts import CaseFacts, DenialCode

FACTS = CaseFacts(
    cpt_codes=["99213"],
    hcpcs_codes=["J1885"],
    icd10_codes=["M54.16"],
    denial_codes=[
        DenialCode(code="CO-45", kind="carc", group="CO", reason="45"),
        DenialCode(code="204", kind="carc", reason="204"),
        DenialCode(code="N56", kind="rarc", reason="N56"),
    ],
)


def test_every_spelling_of_a_facts_code_is_grounded() -> None:
    text = "CPT 99213 and J1885 (M5416) were denied: CO45, Group CO Reason 45, reason codes 45 and 204, N56."
    report = check_grounding(text, FACTS)
    assert report.grounded, report.ungrounded
    assert report.checked >= 3  # (a fact's own reason string, `45`, is masked before the check)


def test_codes_the_facts_do_not_hold_are_reported() -> None:
    report = check_grounding("Also billed 99214; Group PR Reason 2; reason code 197; remark N130.", FACTS)
    assert sorted(report.ungrounded) == ["99214", "Group PR Reason 2", "N130", "reason code 197"]
