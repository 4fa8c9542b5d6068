"""Property: whatever the letter held, every generated text is grounded and has no gaps printed as None."""

from __future__ import annotations

import datetime as dt
import re
import string

from hypothesis import given, settings
from hypothesis import strategies as st

from denialops_llm_worker.domain import (
    build_action_plan,
    build_document_pack,
    check_grounding,
    render_action_plan_markdown,
)
from denialops_llm_worker.domain.formatting import DISCLAIMER
from denialops_shared.contracts.artifacts import (
    CaseFacts,
    Contact,
    DeadlineBasis,
    DenialCode,
    Route,
    RouteDecision,
    Urgency,
)

_WORDS = re.compile(r"\b(?:none|null|nan)\b", re.IGNORECASE)

texts = st.one_of(
    st.none(),
    st.text(alphabet=string.ascii_letters + string.digits + " -.,/#&'()", max_size=30).filter(
        lambda value: not _WORDS.search(value)
    ),
)
dates = st.one_of(st.none(), st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2099, 12, 31)))
amounts = st.one_of(st.none(), st.floats(min_value=0, max_value=10_000_000, allow_nan=False))
carcs = st.builds(
    lambda group, number: DenialCode(
        code=f"{group}-{number}" if group else str(number), kind="carc", group=group, reason="reason"
    ),
    st.sampled_from([None, "CO", "PR", "OA", "PI", "CR"]),
    st.integers(min_value=1, max_value=299),
)
rarcs = st.builds(lambda code: DenialCode(code=code, kind="rarc", reason=""), st.from_regex(r"\A(?:N|M|MA)\d{1,3}\Z"))

facts_strategy = st.builds(
    CaseFacts,
    payer_name=texts,
    plan_name=texts,
    member_id=texts,
    group_number=texts,
    claim_number=texts,
    patient_name=texts,
    provider_name=texts,
    provider_npi=st.one_of(st.none(), st.from_regex(r"\A\d{10}\Z")),
    service_description=texts,
    cpt_codes=st.lists(st.from_regex(r"\A\d{4}[0-9FT]\Z"), max_size=3),
    hcpcs_codes=st.lists(st.from_regex(r"\A[A-V]\d{4}\Z"), max_size=2),
    icd10_codes=st.lists(st.from_regex(r"\A[A-Z]\d[0-9A-Z](?:\.[0-9A-Z]{1,4})?\Z"), max_size=3),
    denial_codes=st.lists(st.one_of(carcs, rarcs), max_size=4),
    date_of_service=dates,
    date_of_denial=dates,
    appeal_window_days=st.one_of(st.none(), st.integers(min_value=1, max_value=365)),
    appeal_deadline=dates,
    appeal_deadline_basis=st.sampled_from(DeadlineBasis),
    billed_amount=amounts,
    allowed_amount=amounts,
    paid_amount=amounts,
    patient_responsibility=amounts,
    appeal_contact=st.builds(Contact, phone=texts, fax=texts, address=texts),
    urgency=st.sampled_from(Urgency),
    denial_reason=texts,
)


@settings(max_examples=150, deadline=None)
@given(
    facts=facts_strategy,
    route=st.sampled_from(Route),
    today=st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2099, 12, 31)),
)
def test_generated_texts_are_always_grounded(facts: CaseFacts, route: Route, today: dt.date) -> None:
    decision = RouteDecision(route=route, confidence=0.8, reasoning="property test")
    plan = build_action_plan(facts, decision, today)
    texts = {"action_plan.md": render_action_plan_markdown(plan, facts), **build_document_pack(facts, decision, plan)}
    for name, text in texts.items():
        assert DISCLAIMER in text, name
        assert "\n## Assumptions\n" in text, name
        assert not _WORDS.search(text), name
        report = check_grounding(text, facts, plan)
        assert report.grounded, (name, report.ungrounded)
