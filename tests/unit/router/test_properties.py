"""Property tests: any text is handled without raising, and every code is really in the text."""

from __future__ import annotations

import datetime as dt
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from denialops_router.domain import decide_route, extract_case_facts
from denialops_router.domain.deadline_engine import DeadlineInput, compute_deadlines
from denialops_router.domain.letter_signals import LetterSignals
from denialops_shared.contracts.artifacts import CaseFacts, ClockBasis, DeadlineBasis, Deadlines, Regime, Route
from denialops_shared.periods import add_period

CONTINUED = "10 days from the notice, to keep services during the appeal"

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


_DATES = st.one_of(st.none(), st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2040, 12, 31)))


@settings(max_examples=300, deadline=None)
@given(
    regime=st.sampled_from(Regime),
    route=st.sampled_from(Route),
    notice=_DATES,
    deadline=_DATES,
    window=st.one_of(st.none(), st.integers(min_value=1, max_value=999)),
    basis=st.sampled_from(DeadlineBasis),
    final=st.booleans(),
    decided=st.sampled_from([None, "appeal", "reconsideration", "redetermination"]),
    flags=st.tuples(st.booleans(), st.booleans(), st.booleans(), st.booleans()),
)
def test_the_deadline_engine_takes_any_facts(
    regime: Regime,
    route: Route,
    notice: dt.date | None,
    deadline: dt.date | None,
    window: int | None,
    basis: DeadlineBasis,
    final: bool,
    decided: str | None,
    flags: tuple[bool, bool, bool, bool],
) -> None:
    urgent, timely, continued, pre_service = flags
    facts = CaseFacts(
        date_of_denial=notice,
        appeal_deadline=deadline,
        appeal_window_days=window,
        appeal_deadline_basis=basis,
        is_final_appeal_decision=final,
    )
    letter = LetterSignals(decided, timely, continued, pre_service)
    out = compute_deadlines(DeadlineInput(facts, route, regime, "test", letter, urgent))
    assert Deadlines.model_validate_json(out.model_dump_json()) == out
    assert out.appealable == (out.next_action is not None)
    tracks = [level.track for level in out.levels if level.filing.window != CONTINUED]
    assert tracks == sorted(tracks, key=lambda track: track != "expedited"), "expedited levels first"
    for level in out.levels:
        due = level.filing.due
        if due is not None and notice is not None and level.filing.basis is not ClockBasis.PRINTED:
            assert notice <= due <= add_period(notice, "P13M"), "a counted date is within a year of the notice"
