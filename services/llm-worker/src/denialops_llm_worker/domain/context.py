"""The facts as ready-to-print strings, for `str.format_map` in step and document templates."""

from __future__ import annotations

from denialops_llm_worker.domain import formatting as fmt
from denialops_shared.contracts.artifacts import CaseFacts, DeadlineTimeline


def fact_context(facts: CaseFacts, timeline: DeadlineTimeline | None = None) -> dict[str, str]:
    """`{deadline}` is the plan's deadline when there is a plan (the deadline engine's), else the letter's."""
    deadline = timeline.appeal_deadline if timeline is not None else facts.appeal_deadline
    contact = facts.appeal_contact
    window = f"{facts.appeal_window_days} days" if facts.appeal_window_days is not None else fmt.UNKNOWN
    return {
        "payer_name": fmt.text(facts.payer_name),
        "plan_name": fmt.text(facts.plan_name),
        "plan_type": fmt.text(facts.plan_type),
        "member_id": fmt.text(facts.member_id),
        "group_number": fmt.text(facts.group_number),
        "claim_number": fmt.text(facts.claim_number),
        "patient_name": fmt.text(facts.patient_name),
        "provider_name": fmt.text(facts.provider_name),
        "provider_npi": fmt.text(facts.provider_npi),
        "service_description": fmt.text(facts.service_description),
        "procedure_codes": fmt.procedure_codes(facts),
        "diagnosis_codes": fmt.diagnosis_codes(facts),
        "denial_codes": fmt.denial_codes(facts),
        "denial_reason": fmt.text(facts.denial_reason),
        "date_of_service": fmt.date(facts.date_of_service),
        "date_of_denial": fmt.date(facts.date_of_denial),
        "deadline": fmt.date(deadline),
        "window": window,
        "billed_amount": fmt.money(facts.billed_amount),
        "allowed_amount": fmt.money(facts.allowed_amount),
        "paid_amount": fmt.money(facts.paid_amount),
        "patient_responsibility": fmt.money(facts.patient_responsibility),
        "appeal_phone": fmt.text(contact.phone),
        "appeal_fax": fmt.text(contact.fax),
        "appeal_address": fmt.text(contact.address),
    }
