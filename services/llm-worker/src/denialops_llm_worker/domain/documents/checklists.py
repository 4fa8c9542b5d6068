"""Working checklists: prior authorization, claim resubmission and eligibility."""

from __future__ import annotations

from denialops_llm_worker.domain.documents.common import PackInput, checklist


def pa_checklist(pack: PackInput) -> str:
    return checklist(
        pack,
        title="Prior authorization checklist",
        items=(
            "Authorization or referral on file? Record its number and the approved codes, units and dates",
            "Compare the authorization with the billed codes ({procedure_codes}) and date of service "
            "({date_of_service})",
            "Check the payer's authorization list for these codes and this plan",
            "Send the retro-authorization (or amendment) request with clinical notes; record the date and "
            "reference number",
            "Resubmit claim {claim_number} as a corrected claim carrying the authorization number",
            "If authorization is refused, send the appeal before {deadline}",
        ),
    )


def resubmit_checklist(pack: PackInput) -> str:
    return checklist(
        pack,
        title="Corrected claim checklist",
        items=(
            "Each denial code matched to its claim line and field: {denial_codes}",
            "Procedure codes and modifiers checked against the record: {procedure_codes}",
            "Diagnosis codes and pointers checked: {diagnosis_codes}",
            "Rendering and billing NPI match the payer's enrollment: {provider_npi}",
            "Member data matches the insurance card: {patient_name}, member ID {member_id}",
            "Date of service ({date_of_service}) and billed amount ({billed_amount}) unchanged unless wrong",
            "Corrected (replacement) claim references original claim {claim_number}; no new claim sent",
            "Clearinghouse acceptance saved; resubmitted before {deadline}",
        ),
    )


def eligibility_checklist(pack: PackInput) -> str:
    return checklist(
        pack,
        title="Eligibility and benefits checklist",
        items=(
            "Eligibility checked for member {member_id} (group {group_number}) on {date_of_service}",
            "Coverage start and end dates recorded; any retroactive termination noted",
            "Other coverage checked (employer, Medicare, Medicaid, marketplace) and payer order confirmed",
            "Benefit limits checked: maximum, amount used, and whether the limit can be reviewed",
            "Copies of every insurance card on file",
            "Claim sent to the right payer, or member data corrected",
            "If the payer's records are wrong, proof of coverage sent before {deadline}",
        ),
    )
