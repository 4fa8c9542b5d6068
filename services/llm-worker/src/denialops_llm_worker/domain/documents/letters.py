"""Letters to send: appeals, the clinician letter, exception and external review requests."""

from __future__ import annotations

from denialops_llm_worker.domain.admin_kind import AdminKind, classify_admin
from denialops_llm_worker.domain.documents.common import PackInput, letter

PROVIDER_SIGNER = "[Name, title and signature]  \n{provider_name}"
PATIENT_SIGNER = "[Patient or authorized representative: name and signature]  \n{patient_name}"

_CLOSING_REQUEST = (
    "Please send me the plan provisions, clinical criteria and reviewer notes used for this decision. If the "
    "denial is upheld, please describe the next level of appeal, including external review."
)


def appeal_letter(pack: PackInput) -> str:
    return letter(
        pack,
        title="Appeal of a medical necessity denial",
        subject="Appeal of the denial of claim {claim_number} for {patient_name}",
        paragraphs=(
            "I am writing to appeal the denial of {service_description} for {patient_name} (member ID "
            "{member_id}), claim {claim_number}, date of service {date_of_service}. The denial dated "
            "{date_of_denial} states: {denial_reason} (denial codes: {denial_codes}).",
            "The service was medically necessary. The enclosed letter from the treating clinician explains "
            "the diagnosis ({diagnosis_codes}), the treatment tried before, and how the patient meets the "
            "criteria for {procedure_codes}. The medical records are enclosed.",
            "Please reverse the denial and process the claim. This appeal is sent within the appeal window, "
            "which ends on {deadline}.",
            _CLOSING_REQUEST,
        ),
        enclosures=(
            "Letter of medical necessity from the treating clinician",
            "Medical records (office notes, results, prior treatments)",
            "Clinical guidelines supporting the service",
            "Copy of the denial letter",
        ),
        signer=PROVIDER_SIGNER,
    )


def clinician_letter(pack: PackInput) -> str:
    return letter(
        pack,
        title="Letter of medical necessity",
        subject="Medical necessity of {service_description} for {patient_name}",
        paragraphs=(
            "I am the treating clinician for {patient_name} (member ID {member_id}). I am writing in support "
            "of the appeal of the denial of {service_description} ({procedure_codes}) on {date_of_service}, "
            "claim {claim_number}.",
            "**Diagnosis:** {diagnosis_codes}. [Clinician to complete: history, severity, duration and "
            "how the condition limits daily function.]",
            "**Treatment already tried:** [Clinician to complete: treatments, dates and results, and why "
            "other options are not appropriate.]",
            "**Why this service is necessary:** [Clinician to complete: how the patient meets the payer's "
            "criteria, with references to published clinical guidelines.]",
            "**Risk without the service:** [Clinician to complete: the expected outcome if the service is "
            "not provided.]",
            "In my clinical judgement, this service is medically necessary for this patient.",
        ),
        enclosures=("Relevant office notes and results", "Guideline references"),
        signer="[Clinician name, credentials, NPI and signature]",
    )


def exception_request(pack: PackInput) -> str:
    return letter(
        pack,
        title="Request for a coverage review or exception",
        subject="Coverage review of the denial of claim {claim_number} for {patient_name}",
        paragraphs=(
            "I request a review of the decision to deny {service_description} for {patient_name} (member ID "
            "{member_id}), claim {claim_number}, date of service {date_of_service}, as not covered under "
            "{plan_name}. The denial dated {date_of_denial} states: {denial_reason} (denial codes: "
            "{denial_codes}).",
            "Please identify the exact plan provision applied and send a copy of it.",
            "The service was provided to treat a medical condition (diagnosis codes: {diagnosis_codes}). "
            "[Explain why the exclusion does not apply to this service, or why an exception is warranted.] "
            "The treating clinician's statement and the records are enclosed.",
            "Please review the coverage decision or grant an exception and process the claim. This request "
            "is sent within the appeal window, which ends on {deadline}.",
            _CLOSING_REQUEST,
        ),
        enclosures=(
            "Clinician statement on the medical purpose of the service",
            "Medical records",
            "Plan document pages with the exclusion text",
            "Copy of the denial letter",
        ),
        signer=PROVIDER_SIGNER,
    )


# The second paragraph of the administrative appeal, chosen by what went wrong.
_ADMIN_WORDING: dict[AdminKind, tuple[str, str, tuple[str, ...]]] = {
    AdminKind.TIMELY_FILING: (
        "Timely filing reconsideration",
        "The claim was first submitted within the plan's filing limit. The enclosed proof shows the date "
        "it was first sent and accepted: [list the clearinghouse reports or payer acknowledgements].",
        ("Clearinghouse acceptance report or payer acknowledgement", "Copy of the original claim"),
    ),
    AdminKind.DUPLICATE: (
        "Reconsideration of a duplicate-claim denial",
        "This claim is not a duplicate. [Explain: a separate service (time, site or modifier), or a "
        "corrected claim replacing an earlier claim, with that claim's number.] The records are enclosed.",
        ("Records showing the services are distinct", "Remittance advice of the earlier claim, if any"),
    ),
    AdminKind.COORDINATION_OF_BENEFITS: (
        "Coordination of benefits update and reprocessing request",
        "The patient's coordination of benefits has been updated: [state the primary payer, or that the "
        "patient had no other coverage on the date of service]. Please update your records and reprocess "
        "the claim.",
        ("Patient's statement of other coverage", "Primary payer's explanation of benefits, if any"),
    ),
    AdminKind.OTHER: (
        "Administrative reconsideration",
        "The administrative problem has been corrected: [describe what was fixed]. Please reprocess the claim.",
        ("Corrected information or records",),
    ),
}


def admin_appeal_letter(pack: PackInput) -> str:
    title, explanation, enclosures = _ADMIN_WORDING[classify_admin(pack.facts)]
    return letter(
        pack,
        title=title,
        subject=f"{title}: claim {{claim_number}} for {{patient_name}}",
        paragraphs=(
            "Claim {claim_number} for {patient_name} (member ID {member_id}), date of service "
            "{date_of_service}, billed {billed_amount}, was denied on {date_of_denial}: {denial_reason} "
            "(denial codes: {denial_codes}).",
            explanation,
            "This request is sent within the reconsideration window, which ends on {deadline}.",
        ),
        enclosures=(*enclosures, "Copy of the denial or remittance advice"),
        signer=PROVIDER_SIGNER,
    )


def external_review_request(pack: PackInput) -> str:
    return letter(
        pack,
        title="Request for external review",
        subject="External review of the final decision on claim {claim_number} for {patient_name}",
        recipient="the external review organization or state insurance department named in the final "
        "decision from {payer_name}",
        paragraphs=(
            "I request an independent external review of the final internal appeal decision dated "
            "{date_of_denial} by {payer_name}, which upheld the denial of {service_description} for "
            "{patient_name} (member ID {member_id}, claim {claim_number}).",
            "The decision states: {denial_reason} (denial codes: {denial_codes}). I disagree because "
            "[explain why the service should be covered]. The treating clinician's letter and the medical "
            "records are enclosed.",
            "This request is made within the external review window, which ends on {deadline}.",
            "Please confirm receipt, tell me who will review the case, and when to expect a decision.",
        ),
        enclosures=(
            "Final internal appeal decision",
            "Earlier denial and appeal letters",
            "Letter from the treating clinician",
            "Medical records",
            "Signed authorized representative form (if someone files for the patient)",
        ),
        signer=PATIENT_SIGNER,
    )
