"""Synthetic case facts for the llm-worker generation tests: every route, full and sparse."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from denialops_shared.contracts.artifacts import (
    CaseFacts,
    Contact,
    DeadlineBasis,
    DenialCode,
    Route,
    RouteDecision,
    Urgency,
)

TODAY = dt.date(2025, 3, 10)
SAMPLES = Path(__file__).resolve().parents[3] / "data" / "samples" / "labels.jsonl"

# Typical codes per route (from the samples README) and the letter's wording.
ROUTE_DENIALS: dict[Route, tuple[list[DenialCode], str]] = {
    Route.PRIOR_AUTH_NEEDED: (
        [DenialCode(code="CO-197", kind="carc", group="CO", reason="Precertification/authorization absent")],
        "No prior authorization was on file for this service.",
    ),
    Route.CLAIM_CORRECTION_RESUBMIT: (
        [
            DenialCode(code="CO-16", kind="carc", group="CO", reason="Claim lacks information"),
            DenialCode(code="N290", kind="rarc", reason="Missing/incomplete/invalid rendering provider NPI"),
        ],
        "The rendering provider NPI is missing.",
    ),
    Route.MEDICAL_NECESSITY_APPEAL: (
        [DenialCode(code="CO-50", kind="carc", group="CO", reason="Not deemed a medical necessity")],
        "The MRI is not medically necessary based on InterQual criteria.",
    ),
    Route.EXCLUSION: (
        [
            DenialCode(code="PR-204", kind="carc", group="PR", reason="Service not covered under the benefit plan"),
            DenialCode(code="N425", kind="rarc", reason="Statutorily excluded service"),
        ],
        "Cosmetic services are excluded under your plan.",
    ),
    Route.ADMIN_DENIAL: (
        [DenialCode(code="CO-29", kind="carc", group="CO", reason="The time limit for filing has expired")],
        "The claim was received after the 180-day timely filing limit.",
    ),
    Route.BENEFITS_VERIFICATION: (
        [DenialCode(code="27", kind="carc", reason="Expenses incurred after coverage terminated")],
        "Coverage ended on 01/31/2025 before the date of service.",
    ),
    Route.ESCALATION: (
        [DenialCode(code="CO-50", kind="carc", group="CO", reason="Not deemed a medical necessity")],
        "Your appeal has been reviewed and the denial is upheld. This is our final internal decision.",
    ),
}


def full_facts(route: Route, **overrides: Any) -> CaseFacts:
    codes, reason = ROUTE_DENIALS[route]
    values: dict[str, Any] = {
        "payer_name": "Ironwood Mutual",
        "plan_name": "Ironwood Gold PPO 1500",
        "plan_type": "PPO",
        "member_id": "IWM 6631 0027 14",
        "group_number": "GRP-40312",
        "claim_number": "IW-24-0916-71208",
        "patient_name": "Adaeze Morrow",
        "provider_name": "Saguaro Imaging Center",
        "provider_npi": "1234567893",
        "service_description": "MRI of the lumbar spine without contrast",
        "cpt_codes": ["72148", "99214"],
        "hcpcs_codes": ["J1885"],
        "icd10_codes": ["M54.16", "M51.26"],
        "denial_codes": codes,
        "date_of_service": dt.date(2025, 2, 3),
        "date_of_denial": dt.date(2025, 2, 20),
        "appeal_window_days": 60,
        "appeal_deadline": dt.date(2025, 4, 21),
        "appeal_deadline_basis": DeadlineBasis.FROM_DENIAL_DATE,
        "billed_amount": 1234.5,
        "allowed_amount": 0.0,
        "paid_amount": 0.0,
        "patient_responsibility": 185.25,
        "appeal_contact": Contact(
            phone="1-804-555-0121", fax="(804) 555-0126", address="PO Box 71208, Richmond, VA 23218"
        ),
        "denial_reason": reason,
    }
    values.update(overrides)
    return CaseFacts(**values)


def sparse_facts(route: Route) -> CaseFacts:
    """Almost nothing was read from the letter: only the denial codes."""
    return CaseFacts(denial_codes=ROUTE_DENIALS[route][0])


VARIANTS: dict[str, Callable[[Route], CaseFacts]] = {
    "full": full_facts,
    "sparse": sparse_facts,
    "empty": lambda _route: CaseFacts(),
    "expedited": lambda route: full_facts(route, urgency=Urgency.EXPEDITED),
    "from_receipt": lambda route: full_facts(route, appeal_deadline_basis=DeadlineBasis.FROM_RECEIPT),
    "deadline_passed": lambda route: full_facts(route, appeal_deadline=dt.date(2025, 3, 1)),
    "no_deadline": lambda route: full_facts(route, appeal_deadline=None, appeal_deadline_basis=DeadlineBasis.UNKNOWN),
    "hcpcs_only": lambda route: full_facts(route, cpt_codes=[], icd10_codes=["S72001A"]),
}


def decision_for(route: Route, **overrides: Any) -> RouteDecision:
    values: dict[str, Any] = {"route": route, "confidence": 0.9, "reasoning": "test"}
    values.update(overrides)
    return RouteDecision(**values)


def _label_to_facts(label: dict[str, Any]) -> CaseFacts:
    def denial(code: str) -> DenialCode:
        group, _, number = code.rpartition("-")
        kind = "carc" if (number if group else code).isdigit() else "rarc"
        return DenialCode(code=code, kind=kind, group=group or None, reason="")

    def day(value: str | None) -> dt.date | None:
        return dt.date.fromisoformat(value) if value else None

    return CaseFacts(
        **{
            key: label[key]
            for key in (
                "payer_name",
                "member_id",
                "claim_number",
                "patient_name",
                "provider_name",
                "service_description",
                "cpt_codes",
                "hcpcs_codes",
                "icd10_codes",
                "appeal_window_days",
                "billed_amount",
                "allowed_amount",
                "patient_responsibility",
                "urgency",
            )
        },
        denial_codes=[denial(code) for code in label["denial_codes"]],
        date_of_service=day(label["date_of_service"]),
        date_of_denial=day(label["date_of_denial"]),
        appeal_deadline=day(label["appeal_deadline"]),
        appeal_deadline_basis=DeadlineBasis.FROM_DENIAL_DATE if label["appeal_deadline"] else DeadlineBasis.UNKNOWN,
        appeal_contact=Contact(phone=label["appeal_phone"], fax=label["appeal_fax"]),
    )


def sample_cases() -> list[tuple[str, Route, CaseFacts]]:
    """The labelled development letters as (file, route, facts): realistic values, codes and dates."""
    lines = SAMPLES.read_text(encoding="utf-8").splitlines()
    labels = [json.loads(line) for line in lines if line.strip()]
    return [(label["file"], Route(label["route"]), _label_to_facts(label)) for label in labels]


@pytest.fixture(params=list(Route), ids=lambda route: route.value)
def route(request: pytest.FixtureRequest) -> Route:
    return Route(request.param)


@pytest.fixture(params=list(VARIANTS))
def facts(request: pytest.FixtureRequest, route: Route) -> CaseFacts:
    return VARIANTS[request.param](route)


# Test modules get these helpers as fixtures: with `--import-mode=importlib` they cannot import conftest.
@pytest.fixture
def today() -> dt.date:
    return TODAY


@pytest.fixture
def make_facts() -> Callable[..., CaseFacts]:
    return full_facts


@pytest.fixture
def make_decision() -> Callable[..., RouteDecision]:
    return decision_for


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "sample_case" in metafunc.fixturenames:
        cases = sample_cases()
        metafunc.parametrize("sample_case", cases, ids=[file for file, _, _ in cases])
