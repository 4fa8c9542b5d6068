"""Missing-information questions and the assumptions a plan rests on."""

from __future__ import annotations

from denialops_llm_worker.domain import formatting as fmt
from denialops_llm_worker.domain.playbooks import Playbook
from denialops_shared.contracts.artifacts import (
    CaseFacts,
    ClockBasis,
    DeadlineBasis,
    Deadlines,
    DeadlineTimeline,
    RouteDecision,
)

# Below this, the plan says the route itself is uncertain.
LOW_CONFIDENCE = 0.6

_COMMON_FIELDS = ("payer_name", "member_id", "patient_name", "provider_name", "date_of_denial", "denial_reason")

_QUESTIONS: dict[str, str] = {
    "payer_name": "Which insurer or plan administrator issued the denial?",
    "plan_name": "What is the name of the health plan (as on the insurance card)?",
    "plan_type": "What type of plan is it (for example HMO, PPO, Medicare Advantage, Medicaid, employer self-funded)?",
    "member_id": "What is the member ID on the insurance card?",
    "group_number": "What is the group number on the insurance card?",
    "claim_number": "What is the payer's claim number for the denied claim?",
    "patient_name": "What is the patient's full name?",
    "provider_name": "Which provider or facility billed or requested the service?",
    "provider_npi": "What is the rendering or billing provider's NPI?",
    "service_description": "What service, procedure or item was denied?",
    "cpt_codes": "Which procedure codes (CPT or HCPCS) were billed or requested?",
    "hcpcs_codes": "Which HCPCS codes were billed or requested?",
    "icd10_codes": "Which diagnosis codes (ICD-10) were on the claim or request?",
    "date_of_service": "What was the date of service?",
    "date_of_denial": "What is the date of the denial letter?",
    "denial_reason": "What reason does the letter give for the denial?",
    "appeal_deadline": "What is the deadline to appeal? See the appeal rights section of the letter or ask the payer.",
    "appeal_contact": "Where should the appeal be sent (address or fax), and what phone number handles appeals?",
    "billed_amount": "What amount was billed for the denied service?",
}


def _is_missing(facts: CaseFacts, field: str) -> bool:
    if field == "cpt_codes":
        # A claim can carry HCPCS instead of CPT codes; either one answers the question.
        return not (facts.cpt_codes or facts.hcpcs_codes)
    if field == "appeal_contact":
        contact = facts.appeal_contact
        return not (contact.phone or contact.fax or contact.address)
    value = getattr(facts, field)
    return value is None or value == [] or (isinstance(value, str) and not value.strip())


def missing_info_questions(facts: CaseFacts, playbook: Playbook, timeline: DeadlineTimeline) -> list[str]:
    fields = (*_COMMON_FIELDS, *playbook.required_fields, "appeal_deadline", "appeal_contact")
    questions = [_QUESTIONS[field] for field in dict.fromkeys(fields) if _is_missing(facts, field)]
    for item in facts.missing_information:
        question = _QUESTIONS.get(item) or f"The letter does not state: {item}. Can you provide it?"
        questions.append(question)
    if timeline.days_remaining is not None and timeline.days_remaining < 0:
        name = fmt.level(timeline.level) if timeline.level else "appeal"
        questions.append(
            f"The {name} deadline ({fmt.date(timeline.appeal_deadline)}) has passed. When was the letter "
            "received, and will the payer accept a late appeal for good cause?"
        )
    return list(dict.fromkeys(questions))


def _deadline_assumption(facts: CaseFacts, timeline: DeadlineTimeline) -> str | None:
    deadline = fmt.date(timeline.appeal_deadline)
    if timeline.appeal_deadline is None:
        if facts.appeal_window_days is not None:
            return (
                f"The letter allows {facts.appeal_window_days} days to appeal but no deadline date could be "
                "fixed; confirm the start of the window with the payer and act as early as possible."
            )
        return "No appeal deadline was found; confirm it with the payer and act as early as possible."
    if timeline.basis is DeadlineBasis.FROM_RECEIPT:
        return (
            f"The appeal deadline of {deadline} is an assumption: the window counts from when the letter was "
            "received, which is not known. Keep proof of the receipt date and file before this date."
        )
    if timeline.basis is DeadlineBasis.FROM_DENIAL_DATE:
        return (
            f"The appeal deadline of {deadline} is counted from the date of the denial "
            f"({fmt.date(facts.date_of_denial)}); confirm the payer counts from the letter date."
        )
    if timeline.basis is DeadlineBasis.UNKNOWN:
        return f"How the appeal deadline of {deadline} was set is not known; confirm it with the payer."
    return None


def _engine_assumptions(deadlines: Deadlines, timeline: DeadlineTimeline) -> list[str]:
    """The deadline engine's regime and warnings, and how sure the plan's deadline is."""
    notes = [f"Programme: {deadlines.regime_reason}", *deadlines.warnings]
    level = next((lv for lv in deadlines.levels if lv.filing.due == timeline.appeal_deadline), None)
    if level is None:
        notes.append("No filing deadline could be dated; confirm it with the payer and act as early as possible.")
    elif level.filing.basis is ClockBasis.ASSUMED:
        notes.append(
            f"The {fmt.level(level.level)} deadline of {fmt.date(level.filing.due)} is an assumption "
            f"({level.filing.window}; {level.filing.source}). Keep proof of the receipt date and file before it."
        )
    return notes


def plan_assumptions(
    facts: CaseFacts, decision: RouteDecision, timeline: DeadlineTimeline, deadlines: Deadlines | None = None
) -> list[str]:
    assumptions = list(facts.assumptions)
    if deadlines is not None:
        assumptions += _engine_assumptions(deadlines, timeline)
    elif note := _deadline_assumption(facts, timeline):
        assumptions.append(note)
    if decision.confidence < LOW_CONFIDENCE:
        others = ", ".join(alt.route.value for alt in decision.alternatives) or "not recorded"
        assumptions.append(
            f"The route ({decision.route.value}) was chosen with low confidence; other possible routes: "
            f"{others}. Check the denial reason before acting."
        )
    assumptions.append(
        "Steps follow common payer practice; the plan's own documents and the payer's instructions take "
        "precedence, and rules vary by plan type and state."
    )
    assumptions.append("Generated from templates without AI review; check every value against the letter.")
    return assumptions


def disclaimers() -> list[str]:
    return [
        fmt.DISCLAIMER,
        "Check every name, number, code and date against the original letter before sending anything.",
    ]
