"""What to do for each route: the steps, the evidence to gather and the questions to ask the payer.

Texts are `str.format_map` templates over `context.fact_context`; a step's `share` places its due
date within the time left before the appeal deadline (1.0 = the deadline itself).
"""

from __future__ import annotations

from dataclasses import dataclass

from denialops_llm_worker.domain.admin_kind import AdminKind, classify_admin
from denialops_shared.contracts.artifacts import CaseFacts, Route

BILLING = "billing office"
CLINICIAN = "provider/clinician"
PATIENT = "patient"
PAYER = "payer"


@dataclass(frozen=True)
class StepSpec:
    title: str
    detail: str
    owner: str
    share: float


@dataclass(frozen=True)
class Playbook:
    title: str
    goal: str
    steps: tuple[StepSpec, ...]
    evidence: tuple[str, ...]
    call_questions: tuple[str, ...]
    # CaseFacts fields whose absence blocks this route's documents (asked as questions).
    required_fields: tuple[str, ...]


EXPEDITED_STEP = StepSpec(
    "Ask for an expedited (urgent) review now",
    "Call {payer_name} today and then send the request in writing: ask that it be handled as expedited "
    "because waiting for the standard time frame could seriously jeopardize the patient's life, health "
    "or ability to regain maximum function. Have the treating clinician confirm the urgency.",
    CLINICIAN,
    0.0,
)

_FOLLOW_UP = StepSpec(
    "Confirm receipt and track the decision",
    "Call {payer_name} to confirm the submission was received and logged; write down the reference number, "
    "the representative's name and the expected decision date.",
    BILLING,
    1.0,
)

_PRIOR_AUTH = Playbook(
    title="Prior authorization needed",
    goal="obtain the missing authorization (retroactively if the payer allows it), then resubmit the claim",
    steps=(
        StepSpec(
            "Confirm the authorization status",
            "Ask {payer_name} whether any authorization or referral is on file for {procedure_codes} "
            "on {date_of_service}, and whether it covered these codes, units and dates "
            "(denial codes: {denial_codes}).",
            BILLING,
            0.1,
        ),
        StepSpec(
            "Request a retro-authorization or an authorization update",
            "Submit a retroactive authorization request (or an amendment of the existing one) with the "
            "clinical notes that support the service; note why authorization was not obtained in advance.",
            CLINICIAN,
            0.4,
        ),
        StepSpec(
            "Resubmit the claim with the authorization number",
            "Once authorized, resubmit claim {claim_number} as a corrected claim carrying the authorization number.",
            BILLING,
            0.7,
        ),
        StepSpec(
            "Appeal if the payer refuses to authorize",
            "If retro-authorization is refused, file an appeal by {deadline} explaining why authorization "
            "was obtained, was not required, or could not be obtained in time (for example an emergency).",
            BILLING,
            1.0,
        ),
    ),
    evidence=(
        "Authorization or referral number and the approved codes, units and dates (if any)",
        "Record of the authorization request (date sent, reference number, fax confirmation)",
        "Clinical notes supporting the service on the date of service",
        "Payer policy showing whether authorization was required for these codes",
        "The denial letter or remittance advice",
    ),
    call_questions=(
        "Is there an authorization or referral on file for this member, these codes and this date of service?",
        "Does the plan accept a retroactive authorization request for this service? Where do I send it?",
        "After authorization, should we send a corrected claim or a new claim, and within what time limit?",
        "If retro-authorization is not possible, what is the appeal address or fax and the deadline?",
    ),
    required_fields=("claim_number", "date_of_service", "cpt_codes"),
)

_CLAIM_CORRECTION = Playbook(
    title="Claim correction and resubmission",
    goal="fix the coding or claim data the payer rejected and send a corrected claim",
    steps=(
        StepSpec(
            "Match each denial code to the claim line",
            "Work out which field each denial code ({denial_codes}) points at: procedure code, modifier, "
            "diagnosis pointer, NPI, units or other claim data.",
            BILLING,
            0.1,
        ),
        StepSpec(
            "Confirm the correct coding with the clinician",
            "Check in the medical record that the corrected procedure codes, modifiers and diagnoses are "
            "supported (claim codes: {procedure_codes}; diagnoses: {diagnosis_codes}).",
            CLINICIAN,
            0.3,
        ),
        StepSpec(
            "Fix the claim data",
            "Correct the coding, modifiers, diagnosis pointers, provider NPI ({provider_npi}) or member data "
            "on claim {claim_number}.",
            BILLING,
            0.5,
        ),
        StepSpec(
            "Send a corrected claim",
            "Submit a corrected (replacement) claim that references original claim {claim_number}, "
            "not a new claim, which would be denied as a duplicate.",
            BILLING,
            0.7,
        ),
        _FOLLOW_UP,
    ),
    evidence=(
        "The remittance advice or denial letter with the denial codes",
        "The original claim as submitted",
        "Medical record pages supporting the corrected codes and modifiers",
        "Rendering and billing provider NPI and taxonomy as enrolled with the payer",
        "Clearinghouse acceptance report for the corrected claim",
    ),
    call_questions=(
        "Which claim line and which field does each denial code refer to?",
        "Should the fix be sent as a corrected (replacement) claim or a reconsideration?",
        "What is the time limit for a corrected claim on this denial?",
        "Does the payer need any attachment with the corrected claim?",
    ),
    required_fields=("claim_number", "cpt_codes", "icd10_codes", "provider_npi", "date_of_service"),
)

_MEDICAL_NECESSITY = Playbook(
    title="Medical necessity appeal",
    goal="appeal with a clinician letter of medical necessity and the supporting records",
    steps=(
        StepSpec(
            "Get the criteria the payer used",
            "Ask {payer_name} for the clinical criteria or guideline and the reviewer's rationale behind the "
            "denial ({denial_codes}); ask whether a peer-to-peer review is available.",
            BILLING,
            0.1,
        ),
        StepSpec(
            "Hold a peer-to-peer review if offered",
            "Discuss the case with the payer's medical reviewer; note the reviewer's name and outcome.",
            CLINICIAN,
            0.2,
        ),
        StepSpec(
            "Write the letter of medical necessity",
            "Explain the diagnosis ({diagnosis_codes}), why {service_description} is needed, what was tried "
            "before and how the patient meets the payer's criteria.",
            CLINICIAN,
            0.4,
        ),
        StepSpec(
            "Sign an appeal authorization",
            "If the provider appeals on the patient's behalf, sign the payer's authorized representative form.",
            PATIENT,
            0.4,
        ),
        StepSpec(
            "Assemble the medical records",
            "Collect office notes, test and imaging results, prior treatments and their outcomes, and "
            "published guidelines that support the service.",
            BILLING,
            0.5,
        ),
        StepSpec(
            "Submit the appeal",
            "Send the appeal letter, the clinician letter and the records to {payer_name} "
            "(fax {appeal_fax}) no later than {deadline}; keep proof of delivery.",
            BILLING,
            0.8,
        ),
        _FOLLOW_UP,
    ),
    evidence=(
        "Letter of medical necessity signed by the treating clinician",
        "Office notes and history documenting symptoms, severity and duration",
        "Treatments tried before and why they failed or were not appropriate",
        "Test, imaging or lab results supporting the diagnosis",
        "The payer's medical policy or criteria and published clinical guidelines",
        "The denial letter",
    ),
    call_questions=(
        "Which clinical criteria or medical policy was used to deny the service?",
        "Is a peer-to-peer review available, and how is it scheduled?",
        "What is the appeal address or fax, and the deadline for this appeal level?",
        "Is an expedited appeal available if the patient's health is at risk?",
    ),
    required_fields=("service_description", "cpt_codes", "icd10_codes", "date_of_service"),
)

_EXCLUSION = Playbook(
    title="Plan exclusion",
    goal="check the plan's exclusion, request a coverage review or exception, and plan the patient's options",
    steps=(
        StepSpec(
            "Read the exclusion in the plan documents",
            "Find the exclusion in the Evidence of Coverage or Summary of Benefits and Coverage for "
            "{plan_name} and compare its exact wording with the service ({service_description}).",
            BILLING,
            0.2,
        ),
        StepSpec(
            "Document why the service may fall outside the exclusion",
            "State whether the service treats an illness, injury or functional problem, or meets any "
            "exception the plan lists (diagnoses: {diagnosis_codes}).",
            CLINICIAN,
            0.4,
        ),
        StepSpec(
            "Review the patient's financial options",
            "Ask the provider about a payment plan, self-pay pricing or financial assistance, and whether "
            "any part of the care is covered under another benefit.",
            PATIENT,
            0.5,
        ),
        StepSpec(
            "Send the exception or coverage-review request",
            "Send the request to {payer_name} no later than {deadline}, with the clinician's statement and records.",
            BILLING,
            0.8,
        ),
        _FOLLOW_UP,
    ),
    evidence=(
        "The exclusion text from the plan's Evidence of Coverage or Summary of Benefits and Coverage",
        "Clinician statement on the medical purpose of the service",
        "Office notes and records showing the diagnosis and functional impact",
        "Any prior approval, benefit quote or payer statement that the service was covered",
        "The denial letter",
    ),
    call_questions=(
        "Which plan provision or exclusion was applied, and where is it in the plan documents?",
        "Does the plan offer an exception or coverage review for this service, and how is it requested?",
        "Would a different code or setting of the same service be covered?",
        "What is the deadline to request a review or appeal?",
    ),
    required_fields=("plan_name", "service_description", "cpt_codes"),
)

_ADMIN_STEPS: dict[AdminKind, tuple[StepSpec, ...]] = {
    AdminKind.TIMELY_FILING: (
        StepSpec(
            "Find proof of timely filing",
            "Pull the clearinghouse acceptance reports, payer acknowledgements or earlier rejection notices "
            "showing claim {claim_number} was first filed within the payer's filing limit.",
            BILLING,
            0.2,
        ),
        StepSpec(
            "Send a timely-filing reconsideration",
            "Send the timely-filing appeal letter with the dated proof to {payer_name} no later than {deadline}.",
            BILLING,
            0.7,
        ),
        StepSpec(
            "Decide on a write-off if no proof exists",
            "Without proof of timely filing, check the provider contract before billing the patient for a "
            "late-filed claim; it may have to be written off.",
            BILLING,
            1.0,
        ),
    ),
    AdminKind.DUPLICATE: (
        StepSpec(
            "Check for an earlier claim",
            "Look up claim {claim_number} and any earlier claim for the same patient, date of service "
            "({date_of_service}) and codes ({procedure_codes}); note whether it was paid, pending or denied.",
            BILLING,
            0.2,
        ),
        StepSpec(
            "Close or correct the claim",
            "If the earlier claim was paid, close this one. If this claim was meant to change the earlier "
            "one, resend it as a corrected (replacement) claim instead of a new claim.",
            BILLING,
            0.5,
        ),
        StepSpec(
            "Appeal if the services were distinct",
            "If both claims are for separate services, send the duplicate-claim appeal letter with the "
            "records and modifiers showing they are distinct, no later than {deadline}.",
            BILLING,
            0.8,
        ),
        _FOLLOW_UP,
    ),
    AdminKind.COORDINATION_OF_BENEFITS: (
        StepSpec(
            "Update the coordination of benefits",
            "Tell {payer_name} about any other coverage the patient had on {date_of_service}, or confirm "
            "there was no other coverage (most payers take this by phone or by questionnaire).",
            PATIENT,
            0.2,
        ),
        StepSpec(
            "Record the payer order",
            "Update the patient's insurance records with the correct primary and secondary payer.",
            BILLING,
            0.4,
        ),
        StepSpec(
            "Bill the primary payer first",
            "Send the claim to the primary payer; then send it to the secondary payer with the primary "
            "payer's explanation of benefits.",
            BILLING,
            0.6,
        ),
        StepSpec(
            "Ask for reprocessing",
            "Once the coordination of benefits is updated, send the coordination-of-benefits letter asking "
            "{payer_name} to reprocess claim {claim_number}, no later than {deadline}.",
            BILLING,
            0.8,
        ),
        _FOLLOW_UP,
    ),
    AdminKind.OTHER: (
        StepSpec(
            "Identify the administrative problem",
            "Ask {payer_name} what must be fixed on claim {claim_number} (denial codes: {denial_codes}).",
            BILLING,
            0.2,
        ),
        StepSpec(
            "Send a reconsideration",
            "Fix the problem and send the reconsideration letter with the supporting records no later than {deadline}.",
            BILLING,
            0.8,
        ),
        _FOLLOW_UP,
    ),
}

_ADMIN_EVIDENCE: dict[AdminKind, tuple[str, ...]] = {
    AdminKind.TIMELY_FILING: (
        "Clearinghouse acceptance reports with dates",
        "Payer acknowledgements or earlier rejection notices",
        "Proof of any delay the provider could not control (for example retroactive eligibility)",
    ),
    AdminKind.DUPLICATE: (
        "The earlier claim and its remittance advice",
        "Records showing the services were separate (times, sites, modifiers)",
    ),
    AdminKind.COORDINATION_OF_BENEFITS: (
        "Patient's statement of other coverage, or that there is no other coverage",
        "The primary payer's explanation of benefits",
        "Copies of all insurance cards",
    ),
    AdminKind.OTHER: ("Records that correct the administrative problem",),
}


def _admin_playbook(kind: AdminKind) -> Playbook:
    return Playbook(
        title="Administrative denial",
        goal={
            AdminKind.TIMELY_FILING: "prove the claim was filed on time and ask for reconsideration",
            AdminKind.DUPLICATE: "check for an earlier claim, then close, correct or appeal",
            AdminKind.COORDINATION_OF_BENEFITS: "update the coordination of benefits and bill in payer order",
            AdminKind.OTHER: "fix the administrative problem and ask for reconsideration",
        }[kind],
        steps=_ADMIN_STEPS[kind],
        evidence=(*_ADMIN_EVIDENCE[kind], "The denial letter or remittance advice"),
        call_questions=(
            "What exactly does the payer need to reprocess this claim?",
            "Is a reconsideration letter needed, or can this be fixed by phone?",
            "What is the address or fax for reconsiderations, and the deadline?",
        ),
        required_fields=("claim_number", "date_of_service"),
    )


_BENEFITS = Playbook(
    title="Benefits verification",
    goal="verify eligibility, other coverage and benefit limits, then bill the right payer",
    steps=(
        StepSpec(
            "Verify eligibility on the date of service",
            "Check with {payer_name} whether member {member_id} was covered on {date_of_service}, and under "
            "which plan and group ({group_number}).",
            BILLING,
            0.1,
        ),
        StepSpec(
            "Confirm coverage with the patient",
            "Confirm which plan was in force on the date of service, any other or new coverage (employer, "
            "Medicare, Medicaid, marketplace), and provide current insurance cards.",
            PATIENT,
            0.3,
        ),
        StepSpec(
            "Check benefit limits",
            "Ask whether a visit, unit or dollar maximum was reached and whether the limit can be reviewed.",
            BILLING,
            0.4,
        ),
        StepSpec(
            "Bill the right payer or fix the member data",
            "Correct the member ID, name or birth date on the claim, or bill the payer that covered the "
            "patient on that date.",
            BILLING,
            0.7,
        ),
        StepSpec(
            "Appeal if the payer's records are wrong",
            "If the patient was covered (for example a retroactive termination in error), send proof of "
            "coverage to {payer_name} no later than {deadline}.",
            BILLING,
            1.0,
        ),
    ),
    evidence=(
        "Eligibility response or payer portal printout for the date of service",
        "Copies of the front and back of every insurance card",
        "Proof of coverage (enrollment confirmation, premium payment, employer letter)",
        "Benefit summary showing limits and how much has been used",
        "The denial letter or remittance advice",
    ),
    call_questions=(
        "Was the member covered on the date of service? Under which plan and group?",
        "When did coverage start and end, and was it ended retroactively?",
        "Does the payer show other coverage for this patient?",
        "Has a benefit maximum been reached for this service, and how much has been used?",
    ),
    required_fields=("member_id", "group_number", "date_of_service"),
)

_ESCALATION = Playbook(
    title="Escalation: external review",
    goal="request an independent external review (or state insurance department help) within the window",
    steps=(
        StepSpec(
            "Confirm internal appeals are exhausted",
            "Check the letter states this is the final internal decision and note the external review "
            "deadline: {deadline} (window: {window}).",
            BILLING,
            0.1,
        ),
        StepSpec(
            "Request the full claim file",
            "Ask {payer_name} for a free copy of the claim file, the criteria used and the reviewers' notes.",
            PATIENT,
            0.3,
        ),
        StepSpec(
            "Update the clinician letter",
            "Have the treating clinician answer the reasons given in the final decision, point by point.",
            CLINICIAN,
            0.5,
        ),
        StepSpec(
            "File the external review request",
            "Send the external review request to the Independent Review Organization (IRO) process named in "
            "the letter: through the payer, the state insurance department, or the federal external review "
            "process for self-funded plans, no later than {deadline}.",
            PATIENT,
            0.8,
        ),
        StepSpec(
            "Contact the state insurance department",
            "If the payer does not forward the request or the process is unclear, ask the state insurance "
            "department (or consumer assistance program) for help.",
            PATIENT,
            0.8,
        ),
        StepSpec(
            "Track the independent decision",
            "Confirm the reviewer received the file; the payer must follow an external reviewer's decision "
            "to overturn the denial.",
            PAYER,
            1.0,
        ),
    ),
    evidence=(
        "The final internal appeal decision letter",
        "All earlier denial and appeal letters",
        "Updated letter from the treating clinician",
        "Medical records and guidelines supporting the service",
        "Signed external review request form and authorized representative form",
    ),
    call_questions=(
        "Is this the final internal appeal decision? Is any internal level left?",
        "Who handles external review for this plan (state process, federal process or an IRO), and where "
        "do I send the request?",
        "What is the deadline to request external review, and is expedited external review available?",
        "Can I get a free copy of the claim file and the criteria used?",
    ),
    required_fields=("service_description", "date_of_denial"),
)

_PLAYBOOKS: dict[Route, Playbook] = {
    Route.PRIOR_AUTH_NEEDED: _PRIOR_AUTH,
    Route.CLAIM_CORRECTION_RESUBMIT: _CLAIM_CORRECTION,
    Route.MEDICAL_NECESSITY_APPEAL: _MEDICAL_NECESSITY,
    Route.EXCLUSION: _EXCLUSION,
    Route.BENEFITS_VERIFICATION: _BENEFITS,
    Route.ESCALATION: _ESCALATION,
}


def playbook_for(route: Route, facts: CaseFacts) -> Playbook:
    if route is Route.ADMIN_DENIAL:
        return _admin_playbook(classify_admin(facts))
    return _PLAYBOOKS[route]
