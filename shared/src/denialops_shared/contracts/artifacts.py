"""Artifact contracts: the JSON documents the pipeline produces and services hand to each other.

`case_facts.json`, `route.json` and `deadlines.json` travel inline in `stage.completed` events from router
to llm-worker and intake, so their shape is a cross-service contract and lives here.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainSerializer, WithJsonSchema


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


def _cents(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"))


# Money is exact in the domain (a Decimal of cents: no float noise to round away) and a plain JSON
# number on the wire and in the schemas, as it always was.
Money = Annotated[
    Decimal,
    AfterValidator(_cents),
    PlainSerializer(float, return_type=float, when_used="json"),
    WithJsonSchema({"type": "number"}),
]


class Regime(StrEnum):
    """The programme whose appeal rules govern the case (README, "Deadline engine")."""

    ERISA = "erisa"
    ACA_INDIVIDUAL = "aca_individual"
    STATE_FULLY_INSURED = "state_fully_insured"
    MEDICARE_FFS = "medicare_ffs"
    MEDICARE_ADVANTAGE = "medicare_advantage"
    MEDICARE_PART_D = "medicare_part_d"
    MEDICAID_MANAGED_CARE = "medicaid_managed_care"
    MEDICAID_FFS = "medicaid_ffs"
    UNKNOWN = "unknown"


class ClockBasis(StrEnum):
    """`printed`: the letter states the date; `computed`: a stated window counted from a known date;
    `assumed`: a default window or an assumed start (receipt taken as the notice date)."""

    PRINTED = "printed"
    COMPUTED = "computed"
    ASSUMED = "assumed"


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
    billed_amount: Money | None = None
    allowed_amount: Money | None = None
    paid_amount: Money | None = None
    patient_responsibility: Money | None = None
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
    """The deadline the plan works to. With `deadlines.json`, the next dated filing deadline: `level` names it
    (appeal, redetermination, corrected_claim, ...) and `regime` the programme."""

    as_of: dt.date
    appeal_deadline: dt.date | None = None
    days_remaining: int | None = None
    basis: DeadlineBasis = DeadlineBasis.UNKNOWN
    level: str | None = None
    regime: Regime | None = None


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
    # For `llm` output: the model and the prompt set (`v1`...) that wrote the plan's texts.
    model: str | None = None
    prompt_version: str | None = None


class EobAdjustment(_Frozen):
    """One adjustment on a claim or line: a CARC with its group (`CO-45`) or a RARC (`M119`)."""

    code: str
    kind: str = Field(pattern="^(carc|rarc)$")
    group: str | None = Field(default=None, pattern="^(CO|PR|OA|PI|CR)$")
    reason: str
    description: str | None = None
    amount: Money | None = None


class EobAmounts(_Frozen):
    billed: Money | None = None
    allowed: Money | None = None
    paid: Money | None = None
    patient_responsibility: Money | None = None


class EobLine(_Frozen):
    """One service line of a claim, with the evidence span of each value read from it."""

    date_of_service: dt.date | None = None
    procedure_code: str | None = None
    modifiers: list[str] = Field(default_factory=list)
    units: int | None = None
    amounts: EobAmounts = Field(default_factory=EobAmounts)
    adjustments: list[EobAdjustment] = Field(default_factory=list)
    evidence: dict[str, list[Evidence]] = Field(default_factory=dict)


class EobClaim(_Frozen):
    """One claim on an EOB or remittance; `totals_source` says whether totals were printed or added up."""

    claim_number: str | None = None
    status: str | None = Field(default=None, pattern="^(paid|denied|partially_denied)$")
    date_of_service: dt.date | None = None
    lines: list[EobLine] = Field(default_factory=list)
    totals: EobAmounts = Field(default_factory=EobAmounts)
    totals_source: str | None = Field(default=None, pattern="^(printed|sum_of_lines)$")
    adjustments: list[EobAdjustment] = Field(default_factory=list)
    evidence: dict[str, list[Evidence]] = Field(default_factory=dict)


class EobPayment(_Frozen):
    method: str | None = Field(default=None, pattern="^(check|eft)$")
    number: str | None = None
    date: dt.date | None = None
    amount: Money | None = None


class EobFacts(_Frozen):
    """Facts read from an EOB or remittance. `claim_number` names the claim the denial is about (the first
    claim not paid in full); adjustments not printed on a line belong to their claim."""

    payer_name: str | None = None
    member_id: str | None = None
    patient_name: str | None = None
    provider_name: str | None = None
    statement_date: dt.date | None = None
    claim_number: str | None = None
    claims: list[EobClaim] = Field(default_factory=list)
    payment: EobPayment = Field(default_factory=EobPayment)
    denial_codes: list[str] = Field(default_factory=list)
    evidence: dict[str, list[Evidence]] = Field(default_factory=dict)


class PlanCitation(_Frozen):
    """Where a plan rule is written: the plan document (1-based, in the order given), page, section heading,
    and character offsets into that page's text."""

    document: int = Field(default=1, ge=1)
    page: int = Field(ge=1)
    section: str | None = None
    start: int = Field(ge=0)
    end: int = Field(ge=0)


class PlanRule(_Frozen):
    """One rule quoted from the plan, with the values read from it (days, months, an amount, services)."""

    text: str
    citation: PlanCitation
    services: list[str] = Field(default_factory=list)
    days: int | None = None
    months: int | None = None
    amount: Money | None = None
    applies_to: str | None = None


class AppealRights(_Frozen):
    internal_levels: int | None = None
    internal_appeal_days: int | None = None
    external_review: bool = False
    external_review_days: int | None = None
    external_review_months: int | None = None
    expedited_available: bool = False
    rules: list[PlanRule] = Field(default_factory=list)


class PlanRules(_Frozen):
    """Rules read from the member's plan documents (SBC / EOC), each cited by page and section."""

    plan_name: str | None = None
    prior_authorization: list[PlanRule] = Field(default_factory=list)
    medical_necessity: PlanRule | None = None
    exclusions: list[PlanRule] = Field(default_factory=list)
    appeals: AppealRights = Field(default_factory=AppealRights)
    timely_filing: PlanRule | None = None
    deductibles: list[PlanRule] = Field(default_factory=list)
    out_of_pocket_limits: list[PlanRule] = Field(default_factory=list)


class Clock(_Frozen):
    """One deadline: its date (None when nothing to count from yet), how it was obtained, the window in
    words ("60 days from the notice") and its source (the letter, or the rule it comes from).

    `period` is the window as an ISO 8601 duration (`P60D`, `P4M`, `PT72H`) so a clock that starts later
    (the payer's decision, counted from the day we file) can be dated with
    `denialops_shared.periods.add_period(filed_on, period)`."""

    due: dt.date | None
    basis: ClockBasis
    window: str | None
    source: str
    period: str | None = Field(default=None, pattern=r"^P(?:\d+[DM]|T\d+H)$")


class DeadlineLevel(_Frozen):
    """One level of review: our filing clock and, counted once we file, the payer's decision clock.

    `level` is one of appeal, reconsideration, redetermination, external_review, fair_hearing,
    corrected_claim, reopening, coverage_determination."""

    level: str
    track: Literal["standard", "expedited"]
    filing: Clock
    decision: Clock | None


class NextAction(_Frozen):
    level: str
    action: str
    due: dt.date | None
    basis: ClockBasis


class Deadlines(_Frozen):
    """`deadlines.json`: the regime and why, each level (expedited first when it applies), warnings
    (conflicts, assumptions) and the next thing to do. `appealable` is false e.g. for a Medicare
    timely-filing denial."""

    regime: Regime
    regime_reason: str
    levels: list[DeadlineLevel]
    warnings: list[str]
    next_action: NextAction | None
    appealable: bool

    def next_dated_level(self) -> DeadlineLevel | None:
        """The first level, in the engine's order, whose filing date is known: the case's next deadline (the
        next action itself may have none, e.g. a corrected claim within the payer's own limit)."""
        return next((level for level in self.levels if level.filing.due is not None), None)
