"""`call_script.md`: what to say and ask when calling the payer, for every route."""

from __future__ import annotations

from denialops_llm_worker.domain import formatting as fmt
from denialops_llm_worker.domain.documents.common import PackInput
from denialops_llm_worker.domain.sections import document, section

_HAVE_READY = (
    "Member ID: {member_id} (group {group_number})",
    "Patient: {patient_name}",
    "Claim number: {claim_number}",
    "Date of service: {date_of_service}",
    "Date of denial: {date_of_denial}",
    "Denial codes: {denial_codes}",
    "Procedure codes: {procedure_codes}; diagnosis codes: {diagnosis_codes}",
    "Billed amount: {billed_amount}",
)

_OPENING = (
    '"Hello, I am calling about claim {claim_number} for {patient_name}, member ID {member_id}, date of '
    "service {date_of_service}. It was denied on {date_of_denial} with denial codes {denial_codes}. "
    'I would like to understand the denial and the next step."'
)

_URGENT_OPENING = (
    '"This is urgent: the treating clinician says waiting for a standard decision could seriously harm the '
    'patient. I am asking for an expedited review."'
)

_COMMON_QUESTIONS = (
    "Can you confirm the appeal deadline ({deadline}) and where to send the appeal?",
    "Can you give me a reference number for this call?",
)

_RECORD = (
    "Date and time of the call: ____",
    "Representative's name: ____",
    "Call reference number: ____",
    "What was agreed, and the next step: ____",
)


def call_script(pack: PackInput) -> str:
    opening = [pack.fill(_OPENING)]
    if pack.urgent:
        opening.append(_URGENT_OPENING)
    questions = [pack.fill(q) for q in (*pack.playbook.call_questions, *_COMMON_QUESTIONS)]
    return document(
        pack.title(f"Call script: {pack.playbook.title}"),
        pack.fill("**Number to call:** {appeal_phone} ({payer_name})"),
        section("Have ready", fmt.bullets(pack.fill(item) for item in _HAVE_READY)),
        section("Opening", "\n\n".join(opening)),
        section("Questions to ask", "\n".join(f"{n}. {q}" for n, q in enumerate(questions, start=1))),
        section("Write down", fmt.bullets(_RECORD)),
        *pack.closing(),
    )
