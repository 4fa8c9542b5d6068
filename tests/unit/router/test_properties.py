"""Property tests: any text is handled without raising, and every code is really in the text."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from denialops_router.domain import decide_route, extract_case_facts

_FRAGMENTS = st.sampled_from(
    [
        "CO-197", "PR 96", "reason code 50", "N4", "M119", "99213", "J3301", "M17.11", "Z23", "84118", "UT",
        "$1,200.00", "Claim:", "Member ID:", "03/06/2025", "March 6, 2025", "within 60 days", "fax 555-555-0100",
        "appeal", "final decision", "uphold", "|", "=", "\n", "  ", "Group code CO / CARC 16", "Diagnosis:",
    ]
)  # fmt: skip
_TEXT = st.lists(st.one_of(st.text(max_size=40), _FRAGMENTS), max_size=40).map(" ".join)


def _digits_in(text: str) -> str:
    return re.sub(r"\D", "", text)


@settings(max_examples=200, deadline=None)
@given(st.lists(_TEXT, min_size=0, max_size=3))
def test_never_raises_and_never_invents_codes(pages: list[str]) -> None:
    facts = extract_case_facts(pages)
    decision = decide_route(facts, pages)
    text = "\n".join(pages)
    assert 0 <= decision.confidence <= 1
    for code in facts.cpt_codes + facts.hcpcs_codes:
        assert code in text
    for icd in facts.icd10_codes:
        assert icd in text or icd.replace(".", "") in text
    for denial in facts.denial_codes:
        assert denial.reason in text
        if denial.group:
            assert denial.group in text
    for spans in facts.evidence.values():
        for span in spans:
            assert 1 <= span.page <= max(1, len(pages))
            assert span.start <= span.end


@given(st.text(max_size=2000))
def test_arbitrary_unicode_never_raises(text: str) -> None:
    facts = extract_case_facts([text])
    decide_route(facts, [text])
