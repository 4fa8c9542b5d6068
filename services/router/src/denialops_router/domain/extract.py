"""Case-facts extraction: runs each field extractor and records confidence and evidence spans."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from denialops_router.domain import letter_kind
from denialops_router.domain.amounts import KINDS, find_amounts, resolve
from denialops_router.domain.codes import find_procedure_codes
from denialops_router.domain.contacts import find_contacts
from denialops_router.domain.deadline import find_deadline
from denialops_router.domain.denial_codes import find_denial_codes
from denialops_router.domain.describe import denial_reason, service_description
from denialops_router.domain.key_dates import find_key_dates
from denialops_router.domain.layout import reading_order
from denialops_router.domain.parties import (
    find_claim_number,
    find_group_number,
    find_member_id,
    find_npi,
    find_payer,
    find_plan,
    find_provider,
)
from denialops_router.domain.people import find_patient
from denialops_router.domain.remittance import read_remittance
from denialops_router.domain.scope import find_scope
from denialops_router.domain.text import Doc, Span, make_doc
from denialops_shared.contracts.artifacts import CaseFacts, Contact, Evidence, Urgency

_AMOUNT_FIELDS = {
    "billed": "billed_amount",
    "allowed": "allowed_amount",
    "paid": "paid_amount",
    "patient": "patient_responsibility",
}


class _Builder:
    """Collects values with their confidence and evidence, so every field is recorded the same way."""

    def __init__(self, doc: Doc) -> None:
        self.doc = doc
        self.values: dict[str, Any] = {}
        self.confidence: dict[str, float] = {}
        self.evidence: dict[str, list[Evidence]] = {}

    def put(self, name: str, value: Any, confidence: float, spans: Sequence[Span]) -> None:
        if value is None or value == []:
            return
        self.values[name] = value
        self.confidence[name] = round(confidence, 2)
        self.evidence[name] = [self.doc.evidence(s.start, s.end) for s in spans]


def read_by_ocr(extraction_method: str) -> bool:
    """Whether a document's `extraction_method` (intake's `text`, `pdf_text`, `ocr`, `pdf_text+ocr`)
    says some of its text came through OCR."""
    return "ocr" in extraction_method.split("+")


def extract_case_facts(pages: Sequence[str], *, ocr: bool = False) -> CaseFacts:
    """Read a denial letter (`pages[i]` is the text of page i+1); unknown facts stay None.

    `ocr` says the text came through OCR: codes and identifiers where the layout expects them are then
    also read through OCR's usual misreadings (`GO299`, `SCH- 7720-41186`), which typed text never has.
    A bug raises (the router's stage reports it as failed) rather than passing for a letter without facts.
    """
    return _extract(make_doc(pages), ocr)


def _extract(doc: Doc, ocr: bool) -> CaseFacts:
    b = _Builder(doc)
    scope = find_scope(doc)
    assumptions: list[str] = []

    payer = find_payer(doc)
    payer_name = payer.value if payer else None
    for name, found in (
        ("payer_name", payer),
        ("member_id", find_member_id(doc, scope, ocr)),
        ("group_number", find_group_number(doc, scope)),
        ("patient_name", find_patient(doc, scope)),
        ("provider_name", find_provider(doc, scope, payer_name)),
        ("provider_npi", find_npi(doc, scope)),
    ):
        if found:
            b.put(name, found.value, found.confidence, [Span(found.start, found.end)])
    plan_name, plan_type = find_plan(doc, payer_name)
    for name, found in (("plan_name", plan_name), ("plan_type", plan_type)):
        if found:
            b.put(name, found.value, found.confidence, [Span(found.start, found.end)])

    claim = find_claim_number(doc, scope, ocr)
    pre_service = letter_kind.pre_service(doc) is not None and claim is None
    if claim:
        b.put("claim_number", claim.value, claim.confidence, [Span(claim.start, claim.end)])

    codes = find_procedure_codes(doc, scope, ocr)
    for name, hits in (("cpt_codes", codes.cpt), ("hcpcs_codes", codes.hcpcs), ("icd10_codes", codes.icd10)):
        b.put(name, [h.code for h in hits], 0.85, [Span(h.start, h.end) for h in hits])
    denial = find_denial_codes(doc, scope)
    b.put("denial_codes", [d.code for d in denial], 0.9, [Span(d.start, d.end) for d in denial])

    service, issued = find_key_dates(doc, scope, pre_service)
    for name, fact in (("date_of_service", service), ("date_of_denial", issued)):
        if fact:
            b.put(name, fact.mention.value, fact.confidence, [Span(fact.mention.start, fact.mention.end)])

    is_final, final_spans = letter_kind.final_appeal_decision(doc)
    upheld, _ = letter_kind.upheld(doc)
    b.put("is_final_appeal_decision", is_final or None, 0.85, final_spans)
    urgent = letter_kind.expedited(doc)
    b.put("urgency", Urgency.EXPEDITED if urgent else None, 0.8, urgent)

    remit = read_remittance(doc)
    issued_on = remit.issued if remit and remit.issued else issued.mention.value if issued else None
    # Windows are read in sentences, so a flattened second column is read whole (`layout.py`).
    reading = reading_order(doc)
    deadline = find_deadline(reading.doc, issued_on, is_final)
    deadline_spans = [reading.original(s) for s in deadline.evidence]
    b.put("appeal_window_days", deadline.window_days, deadline.confidence, deadline_spans[:1])
    b.put("appeal_deadline", deadline.deadline, deadline.confidence, deadline_spans)
    assumptions += deadline.assumptions

    amounts = find_amounts(doc, scope, [h.start for h in codes.cpt + codes.hcpcs])
    for kind in KINDS:
        value, facts = resolve(amounts, kind)
        b.put(_AMOUNT_FIELDS[kind], value, 0.85 if len(facts) == 1 else 0.7, [Span(f.start, f.end) for f in facts])

    phone, fax, address = find_contacts(doc, is_final)
    contact_spans = [Span(h.start, h.end) for h in (phone, fax, address) if h]
    if contact_spans:
        b.put(
            "appeal_contact",
            Contact(
                phone=phone.value if phone else None,
                fax=fax.value if fax else None,
                address=address.value if address else None,
            ),
            max(h.confidence for h in (phone, fax, address) if h),
            contact_spans,
        )

    billed = sorted((h.start, h.end) for h in codes.cpt + codes.hcpcs)
    description, desc_span = service_description(doc, scope, billed)
    b.put("service_description", description, 0.6, [desc_span] if desc_span else [])
    reason, reason_span = denial_reason(doc, scope)
    if reason is None and denial:
        reason = denial[0].code.description
    b.put("denial_reason", reason, 0.6, [reason_span] if reason_span else [])

    if remit:
        remit.put_into(b.put, b.values)
        assumptions += remit.notes
    if pre_service:
        assumptions.append("Pre-service decision: there is no claim number or date of service yet.")
    values = dict(b.values)
    values["missing_information"] = _missing(values, pre_service)
    values["assumptions"] = assumptions
    values["appeal_deadline_basis"] = deadline.basis
    if is_final and not upheld:
        assumptions.append("The appeal decision does not clearly say the denial was upheld.")
    return CaseFacts(**values, confidence=b.confidence, evidence=b.evidence)


def _missing(values: dict[str, Any], pre_service: bool) -> list[str]:
    """Facts a billing specialist needs to act that the letter does not give."""
    wanted = {
        "member_id": "member ID",
        "patient_name": "patient name",
        "provider_name": "provider name",
        "denial_codes": "denial reason codes (CARC/RARC)",
        "date_of_denial": "date of the letter",
        "appeal_deadline": "appeal deadline date",
        "appeal_contact": "appeal phone, fax or address",
    }
    if not pre_service:
        wanted |= {
            "claim_number": "claim number",
            "date_of_service": "date of service",
            "billed_amount": "billed amount",
        }
    if not values.get("cpt_codes") and not values.get("hcpcs_codes"):
        wanted["cpt_codes"] = "procedure codes (CPT/HCPCS)"
    return [label for key, label in wanted.items() if not values.get(key)]
