"""The document pack: the right files per route, every one grounded, placeholders instead of gaps."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import pytest

from denialops_llm_worker.domain import build_action_plan, build_document_pack, check_grounding
from denialops_llm_worker.domain.formatting import DISCLAIMER, UNKNOWN
from denialops_shared.contracts.artifacts import CaseFacts, DenialCode, Route, RouteDecision, Urgency

EXPECTED_FILES: dict[Route, set[str]] = {
    Route.PRIOR_AUTH_NEEDED: {"call_script.md", "pa_checklist.md"},
    Route.CLAIM_CORRECTION_RESUBMIT: {"call_script.md", "resubmit_checklist.md"},
    Route.MEDICAL_NECESSITY_APPEAL: {"call_script.md", "appeal_letter.md", "clinician_letter.md"},
    Route.EXCLUSION: {"call_script.md", "exception_request.md"},
    Route.ADMIN_DENIAL: {"call_script.md", "admin_appeal_letter.md"},
    Route.BENEFITS_VERIFICATION: {"call_script.md", "eligibility_checklist.md"},
    Route.ESCALATION: {"call_script.md", "external_review_request.md"},
}

FORBIDDEN = re.compile(r"\bNone\b|\bnull\b|\bnan\b|\{[a-z_]+\}", re.IGNORECASE)


def _pack(facts: CaseFacts, decision: RouteDecision, today: dt.date) -> dict[str, str]:
    return build_document_pack(facts, decision, build_action_plan(facts, decision, today))


def _assert_well_formed(document: str) -> None:
    assert DISCLAIMER in document
    assert "\n## Assumptions\n" in document
    assert not FORBIDDEN.search(document), FORBIDDEN.search(document)


def test_every_document_is_grounded_and_well_formed(
    route: Route, facts: CaseFacts, make_decision: Callable[..., RouteDecision], today: dt.date
) -> None:
    decision = make_decision(route)
    plan = build_action_plan(facts, decision, today)
    pack = build_document_pack(facts, decision, plan)

    assert set(pack) == EXPECTED_FILES[route]
    for name, document in pack.items():
        _assert_well_formed(document)
        report = check_grounding(document, facts, plan)
        assert report.grounded, (name, report.ungrounded)


def test_documents_of_the_labelled_samples_are_grounded(
    sample_case: tuple[str, Route, CaseFacts], make_decision: Callable[..., RouteDecision], today: dt.date
) -> None:
    _, route, facts = sample_case
    # Every route's documents, not only the labelled one: the values are what must stay grounded.
    for any_route in Route:
        decision = make_decision(any_route)
        plan = build_action_plan(facts, decision, today)
        for name, document in build_document_pack(facts, decision, plan).items():
            _assert_well_formed(document)
            report = check_grounding(document, facts, plan)
            assert report.grounded, (route, any_route, name, report.ungrounded)


def test_missing_values_become_placeholders(route: Route, make_decision: Callable[..., RouteDecision]) -> None:
    pack = _pack(CaseFacts(), make_decision(route), dt.date(2025, 3, 10))
    for document in pack.values():
        assert UNKNOWN in document


def test_full_facts_fill_the_documents(
    route: Route, make_facts: Callable[..., CaseFacts], make_decision: Callable[..., RouteDecision], today: dt.date
) -> None:
    facts = make_facts(route)
    pack = _pack(facts, make_decision(route), today)
    for name, document in pack.items():
        assert "Adaeze Morrow" in document, name
        assert "IW-24-0916-71208" in document, name
        assert "February 3, 2025" in document, name
        assert "$1,234.50" in document, name
        assert all(code.code in document for code in facts.denial_codes), name


def test_expedited_documents_say_so(
    route: Route, make_facts: Callable[..., CaseFacts], make_decision: Callable[..., RouteDecision], today: dt.date
) -> None:
    facts = make_facts(route, urgency=Urgency.EXPEDITED)
    for document in _pack(facts, make_decision(route), today).values():
        assert document.startswith("# EXPEDITED")
        assert "expedited" in document.lower().split("\n", 1)[1]


def test_route_decision_urgency_alone_makes_documents_expedited(
    make_facts: Callable[..., CaseFacts], make_decision: Callable[..., RouteDecision], today: dt.date
) -> None:
    route = Route.MEDICAL_NECESSITY_APPEAL
    pack = _pack(make_facts(route), make_decision(route, urgency=Urgency.EXPEDITED), today)
    assert "This is an expedited (urgent) request." in pack["appeal_letter.md"]


def test_standard_documents_are_not_expedited(
    route: Route, make_facts: Callable[..., CaseFacts], make_decision: Callable[..., RouteDecision], today: dt.date
) -> None:
    for document in _pack(make_facts(route), make_decision(route), today).values():
        assert "EXPEDITED" not in document


@pytest.mark.parametrize(
    ("code", "reason", "title"),
    [
        ("CO-29", "", "Timely filing reconsideration"),
        ("OA-18", "", "Reconsideration of a duplicate-claim denial"),
        ("CO-22", "", "Coordination of benefits update and reprocessing request"),
        ("109", "", "Coordination of benefits update and reprocessing request"),
        ("M80", "Submitted after the timely filing deadline", "Timely filing reconsideration"),
        ("M80", "This is a duplicate of a claim already processed", "Reconsideration of a duplicate-claim denial"),
        ("M80", "Other insurance is primary", "Coordination of benefits update and reprocessing request"),
        ("M80", "Invalid billing address", "Administrative reconsideration"),
    ],
)
def test_admin_letter_wording_follows_the_denial(
    code: str,
    reason: str,
    title: str,
    make_facts: Callable[..., CaseFacts],
    make_decision: Callable[..., RouteDecision],
    today: dt.date,
) -> None:
    kind = "rarc" if code.startswith("M") else "carc"
    facts = make_facts(
        Route.ADMIN_DENIAL,
        denial_codes=[DenialCode(code=code, kind=kind, reason="")],
        denial_reason=reason or None,
    )
    letter = _pack(facts, make_decision(Route.ADMIN_DENIAL), today)["admin_appeal_letter.md"]
    assert letter.startswith(f"# {title}\n")


def test_letters_carry_the_appeal_contact(
    make_facts: Callable[..., CaseFacts], make_decision: Callable[..., RouteDecision], today: dt.date
) -> None:
    route = Route.EXCLUSION
    letter = _pack(make_facts(route), make_decision(route), today)["exception_request.md"]
    assert "**Fax:** (804) 555-0126" in letter
    assert "**Address:** PO Box 71208, Richmond, VA 23218" in letter
