"""The action plan: ordered, owned, dated from the deadline and today, honest about gaps."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from denialops_llm_worker.domain import build_action_plan
from denialops_llm_worker.domain.formatting import DISCLAIMER
from denialops_shared.contracts.artifacts import (
    ActionPlan,
    CaseFacts,
    DeadlineBasis,
    DenialCode,
    Route,
    RouteAlternative,
    RouteDecision,
    Urgency,
)

OWNERS = {"billing office", "provider/clinician", "patient", "payer"}


def test_plan_is_a_valid_artifact(
    route: Route, facts: CaseFacts, make_decision: Callable[..., RouteDecision], today: dt.date
) -> None:
    plan = build_action_plan(facts, make_decision(route), today)

    assert ActionPlan.model_validate_json(plan.model_dump_json()) == plan
    assert plan.route is route
    assert plan.generated_by == "template"
    assert plan.citations == []
    assert DISCLAIMER in plan.disclaimers
    assert plan.summary
    assert plan.evidence_checklist
    assert plan.assumptions
    assert [step.order for step in plan.steps] == list(range(1, len(plan.steps) + 1))
    assert {step.owner for step in plan.steps} <= OWNERS
    assert "None" not in plan.model_dump_json()


def test_due_dates_run_from_today_to_the_deadline(
    route: Route, make_facts: Callable[..., CaseFacts], make_decision: Callable[..., RouteDecision], today: dt.date
) -> None:
    facts = make_facts(route)
    plan = build_action_plan(facts, make_decision(route), today)
    deadline = dt.date(2025, 4, 21)
    due = [step.due_date for step in plan.steps]

    assert facts.appeal_deadline == deadline
    assert all(d is not None and today <= d <= deadline for d in due)
    assert due == sorted(d for d in due if d is not None)
    assert plan.timeline.as_of == today
    assert plan.timeline.appeal_deadline == deadline
    assert plan.timeline.days_remaining == (deadline - today).days == 42
    assert plan.timeline.basis is DeadlineBasis.FROM_DENIAL_DATE


def test_the_clock_is_injected(
    make_facts: Callable[..., CaseFacts], make_decision: Callable[..., RouteDecision]
) -> None:
    facts = make_facts(Route.EXCLUSION)
    early = build_action_plan(facts, make_decision(Route.EXCLUSION), dt.date(2025, 2, 21))
    late = build_action_plan(facts, make_decision(Route.EXCLUSION), dt.date(2025, 4, 20))
    assert (early.timeline.days_remaining, late.timeline.days_remaining) == (59, 1)
    assert early.steps[0].due_date == dt.date(2025, 3, 4)  # a fifth of 59 days in
    assert late.steps[0].due_date == dt.date(2025, 4, 20)


@pytest.mark.parametrize(
    ("overrides", "days_remaining"),
    [
        ({"appeal_deadline": None, "appeal_deadline_basis": DeadlineBasis.UNKNOWN}, None),
        ({"appeal_deadline": dt.date(2025, 3, 1)}, -9),
    ],
    ids=["unknown", "passed"],
)
def test_no_due_dates_without_a_usable_deadline(
    overrides: dict[str, object],
    days_remaining: int | None,
    make_facts: Callable[..., CaseFacts],
    make_decision: Callable[..., RouteDecision],
    today: dt.date,
) -> None:
    facts = make_facts(Route.PRIOR_AUTH_NEEDED, **overrides)
    plan = build_action_plan(facts, make_decision(Route.PRIOR_AUTH_NEEDED), today)
    assert all(step.due_date is None for step in plan.steps)
    assert plan.timeline.days_remaining == days_remaining


def test_passed_deadline_is_called_out(
    make_facts: Callable[..., CaseFacts], make_decision: Callable[..., RouteDecision], today: dt.date
) -> None:
    facts = make_facts(Route.ESCALATION, appeal_deadline=dt.date(2025, 3, 1))
    plan = build_action_plan(facts, make_decision(Route.ESCALATION), today)
    assert "passed 9 days ago" in plan.summary
    assert any("has passed" in question for question in plan.missing_info_questions)


def test_unknown_deadline_is_an_assumption(
    make_facts: Callable[..., CaseFacts], make_decision: Callable[..., RouteDecision], today: dt.date
) -> None:
    facts = make_facts(Route.EXCLUSION, appeal_deadline=None, appeal_deadline_basis=DeadlineBasis.PRINTED)
    plan = build_action_plan(facts, make_decision(Route.EXCLUSION), today)
    assert plan.timeline.basis is DeadlineBasis.UNKNOWN
    assert any("60 days to appeal" in item for item in plan.assumptions)
    assert any("deadline to appeal" in question for question in plan.missing_info_questions)


def test_deadline_from_receipt_is_flagged_as_an_assumption(
    make_facts: Callable[..., CaseFacts], make_decision: Callable[..., RouteDecision], today: dt.date
) -> None:
    facts = make_facts(Route.EXCLUSION, appeal_deadline_basis=DeadlineBasis.FROM_RECEIPT)
    plan = build_action_plan(facts, make_decision(Route.EXCLUSION), today)
    assert plan.timeline.basis is DeadlineBasis.FROM_RECEIPT
    assert any("April 21, 2025 is an assumption" in item for item in plan.assumptions)


def test_printed_deadline_needs_no_assumption(
    make_facts: Callable[..., CaseFacts], make_decision: Callable[..., RouteDecision], today: dt.date
) -> None:
    facts = make_facts(Route.EXCLUSION, appeal_deadline_basis=DeadlineBasis.PRINTED)
    plan = build_action_plan(facts, make_decision(Route.EXCLUSION), today)
    assert not any("deadline" in item for item in plan.assumptions)


@pytest.mark.parametrize("source", ["facts", "decision"])
def test_expedited_cases_start_with_an_urgent_request_on_a_short_clock(
    source: str,
    route: Route,
    make_facts: Callable[..., CaseFacts],
    make_decision: Callable[..., RouteDecision],
    today: dt.date,
) -> None:
    urgent = {"urgency": Urgency.EXPEDITED}
    facts = make_facts(route, **(urgent if source == "facts" else {}))
    decision = make_decision(route, **(urgent if source == "decision" else {}))
    plan = build_action_plan(facts, decision, today)

    assert plan.steps[0].title == "Ask for an expedited (urgent) review now"
    assert plan.steps[0].due_date == today
    assert all(step.due_date and step.due_date <= today + dt.timedelta(days=3) for step in plan.steps)
    assert "EXPEDITED" in plan.summary


def test_missing_facts_become_questions(route: Route, make_decision: Callable[..., RouteDecision]) -> None:
    plan = build_action_plan(CaseFacts(), make_decision(route), dt.date(2025, 3, 10))
    questions = " ".join(plan.missing_info_questions)
    for expected in ("member ID", "patient's full name", "deadline to appeal", "reason", "address or fax"):
        assert expected in questions


@pytest.mark.parametrize(
    ("route", "field", "question"),
    [
        (Route.CLAIM_CORRECTION_RESUBMIT, "provider_npi", "NPI"),
        (Route.CLAIM_CORRECTION_RESUBMIT, "icd10_codes", "diagnosis codes"),
        (Route.BENEFITS_VERIFICATION, "group_number", "group number"),
        (Route.EXCLUSION, "plan_name", "name of the health plan"),
        (Route.PRIOR_AUTH_NEEDED, "claim_number", "claim number"),
    ],
)
def test_route_specific_gaps_are_asked(
    route: Route,
    field: str,
    question: str,
    make_facts: Callable[..., CaseFacts],
    make_decision: Callable[..., RouteDecision],
    today: dt.date,
) -> None:
    empty: object = [] if field.endswith("codes") else None
    plan = build_action_plan(make_facts(route, **{field: empty}), make_decision(route), today)
    assert any(question in item for item in plan.missing_info_questions)
    full = build_action_plan(make_facts(route), make_decision(route), today)
    assert full.missing_info_questions == []


def test_hcpcs_codes_answer_the_procedure_code_question(
    make_facts: Callable[..., CaseFacts], make_decision: Callable[..., RouteDecision], today: dt.date
) -> None:
    facts = make_facts(Route.PRIOR_AUTH_NEEDED, cpt_codes=[])
    plan = build_action_plan(facts, make_decision(Route.PRIOR_AUTH_NEEDED), today)
    assert not any("procedure codes" in question for question in plan.missing_info_questions)


def test_extractor_gaps_and_assumptions_are_carried_over(
    make_facts: Callable[..., CaseFacts], make_decision: Callable[..., RouteDecision], today: dt.date
) -> None:
    facts = make_facts(
        Route.ADMIN_DENIAL,
        missing_information=["billed_amount", "the name of the other insurer"],
        assumptions=["The letter was read with OCR; numbers may be misread."],
    )
    plan = build_action_plan(facts, make_decision(Route.ADMIN_DENIAL), today)
    assert "What amount was billed for the denied service?" in plan.missing_info_questions
    assert any("the name of the other insurer" in question for question in plan.missing_info_questions)
    assert plan.assumptions[0] == "The letter was read with OCR; numbers may be misread."


def test_low_confidence_route_is_stated(
    make_facts: Callable[..., CaseFacts], make_decision: Callable[..., RouteDecision], today: dt.date
) -> None:
    decision = make_decision(
        Route.EXCLUSION,
        confidence=0.4,
        alternatives=[RouteAlternative(route=Route.CLAIM_CORRECTION_RESUBMIT, confidence=0.35)],
    )
    plan = build_action_plan(make_facts(Route.EXCLUSION), decision, today)
    assert any("low confidence" in item and "claim_correction_resubmit" in item for item in plan.assumptions)


@pytest.mark.parametrize(
    ("code", "first_step"),
    [
        ("CO-29", "Find proof of timely filing"),
        ("CO-18", "Check for an earlier claim"),
        ("OA-23", "Update the coordination of benefits"),
        ("CO-45", "Identify the administrative problem"),
    ],
)
def test_admin_steps_follow_the_denial_code(
    code: str,
    first_step: str,
    make_facts: Callable[..., CaseFacts],
    make_decision: Callable[..., RouteDecision],
    today: dt.date,
) -> None:
    facts = make_facts(
        Route.ADMIN_DENIAL,
        denial_codes=[DenialCode(code=code, kind="carc", group=code[:2], reason="")],
        denial_reason=None,
    )
    plan = build_action_plan(facts, make_decision(Route.ADMIN_DENIAL), today)
    assert plan.steps[0].title == first_step


@pytest.mark.parametrize(
    ("route", "words"),
    [
        (Route.PRIOR_AUTH_NEEDED, ("retro", "authorization number")),
        (Route.CLAIM_CORRECTION_RESUBMIT, ("modifiers", "corrected (replacement) claim")),
        (Route.MEDICAL_NECESSITY_APPEAL, ("letter of medical necessity", "records", "Submit the appeal")),
        (Route.EXCLUSION, ("exclusion", "exception", "payment plan")),
        (Route.BENEFITS_VERIFICATION, ("eligibility", "other or new coverage", "maximum")),
        (Route.ESCALATION, ("external review", "state insurance department", "Independent Review Organization")),
    ],
)
def test_route_steps_say_what_the_route_needs(
    route: Route,
    words: tuple[str, ...],
    make_facts: Callable[..., CaseFacts],
    make_decision: Callable[..., RouteDecision],
    today: dt.date,
) -> None:
    plan = build_action_plan(make_facts(route), make_decision(route), today)
    text = " ".join(f"{step.title} {step.detail}" for step in plan.steps)
    for word in words:
        assert word.lower() in text.lower()
