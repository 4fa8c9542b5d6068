"""Artifact contracts: the JSON documents the pipeline produces and services hand to each other.

`case_facts.json` and `route.json` travel inline in `stage.completed` events from router to
llm-worker and intake, so their shape is a cross-service contract and lives here.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class Route(StrEnum):
    PRIOR_AUTH_NEEDED = "prior_auth_needed"
    CLAIM_CORRECTION_RESUBMIT = "claim_correction_resubmit"
    MEDICAL_NECESSITY_APPEAL = "medical_necessity_appeal"
    EXCLUSION = "exclusion"
    ADMIN_DENIAL = "admin_denial"
    BENEFITS_VERIFICATION = "benefits_verification"
    ESCALATION = "escalation"


class Urgency(StrEnum):
    STANDARD = "standard"
    EXPEDITED = "expedited"


class DeadlineBasis(StrEnum):
    """How the appeal deadline was obtained; `from_receipt` means the date is an assumption."""

    PRINTED = "printed"
    FROM_DENIAL_DATE = "from_denial_date"
    FROM_RECEIPT = "from_receipt"
    UNKNOWN = "unknown"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Evidence(_Frozen):
    """Where a fact came from: a page (1-based) and character offsets into that page's text."""

    page: int = Field(ge=1)
    start: int = Field(ge=0)
    end: int = Field(ge=0)


class DenialCode(_Frozen):
    """A normalised CARC (`CO-197`, bare `198`) or RARC (`N386`, `M119`, `MA130`)."""

    code: str
    kind: str = Field(pattern="^(carc|rarc)$")
    group: str | None = Field(default=None, pattern="^(CO|PR|OA|PI|CR)$")
    reason: str
    description: str | None = None


class Contact(_Frozen):
    phone: str | None = None
    fax: str | None = None
    address: str | None = None


class CaseFacts(_Frozen):
    """Facts read from the denial letter. Every value is `None` when the letter does not state it."""

    payer_name: str | None = None
    plan_name: str | None = None
    plan_type: str | None = None
    member_id: str | None = None
    group_number: str | None = None
    claim_number: str | None = None
    patient_name: str | None = None
    provider_name: str | None = None
    provider_npi: str | None = None
    service_description: str | None = None
    cpt_codes: list[str] = Field(default_factory=list)
    hcpcs_codes: list[str] = Field(default_factory=list)
    icd10_codes: list[str] = Field(default_factory=list)
    denial_codes: list[DenialCode] = Field(default_factory=list)
    date_of_service: dt.date | None = None
    date_of_denial: dt.date | None = None
    appeal_window_days: int | None = None
    appeal_deadline: dt.date | None = None
    appeal_deadline_basis: DeadlineBasis = DeadlineBasis.UNKNOWN
    billed_amount: float | None = None
    allowed_amount: float | None = None
    paid_amount: float | None = None
    patient_responsibility: float | None = None
    appeal_contact: Contact = Field(default_factory=Contact)
    urgency: Urgency = Urgency.STANDARD
    is_final_appeal_decision: bool = False
    denial_reason: str | None = None
    missing_information: list[str] = Field(default_factory=list)
    assumptions: list[str] = Field(default_factory=list)
    confidence: dict[str, float] = Field(default_factory=dict)
    evidence: dict[str, list[Evidence]] = Field(default_factory=dict)


class Signal(_Frozen):
    """One piece of evidence that pushed the decision towards `route`."""

    route: Route
    name: str
    weight: float
    evidence: list[Evidence] = Field(default_factory=list)


class RouteAlternative(_Frozen):
    route: Route
    confidence: float = Field(ge=0, le=1)


class RouteDecision(_Frozen):
    route: Route
    confidence: float = Field(ge=0, le=1)
    reasoning: str
    signals: list[Signal] = Field(default_factory=list)
    alternatives: list[RouteAlternative] = Field(default_factory=list)
    urgency: Urgency = Urgency.STANDARD
    verified_mode_would_help: bool = False


class PlanStep(_Frozen):
    order: int = Field(ge=1)
    title: str
    detail: str
    owner: str
    due_date: dt.date | None = None


class DeadlineTimeline(_Frozen):
    as_of: dt.date
    appeal_deadline: dt.date | None = None
    days_remaining: int | None = None
    basis: DeadlineBasis = DeadlineBasis.UNKNOWN


class ActionPlan(_Frozen):
    route: Route
    summary: str
    steps: list[PlanStep]
    timeline: DeadlineTimeline
    evidence_checklist: list[str] = Field(default_factory=list)
    missing_info_questions: list[str] = Field(default_factory=list)
    assumptions: list[str] = Field(default_factory=list)
    disclaimers: list[str] = Field(default_factory=list)
    citations: list[str] = Field(default_factory=list)
    generated_by: str = Field(default="template", pattern="^(llm|template)$")
