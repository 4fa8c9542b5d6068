"""Key dates, identifiers and names on small synthetic letters (the date grammar: tests/unit/shared)."""

from __future__ import annotations

import datetime as dt

from denialops_router.domain import extract_case_facts


def test_service_and_letter_dates_ignore_distractors() -> None:
    letter = (
        "ACME HEALTH PLAN\n\nJune 2, 2025\n\nPatient: Dana Reyes\nMember ID: ACM 1234 5678\n"
        "Date we received the claim: 05/20/2025\nDate of service: 04/01/2025\n"
        "Your coverage ended on 03/31/2025.\n"
    )
    facts = extract_case_facts([letter])
    assert facts.date_of_service == dt.date(2025, 4, 1)
    assert facts.date_of_denial == dt.date(2025, 6, 2)


def test_labelled_denied_on_beats_call_date() -> None:
    letter = "PLAN X - CALL SUMMARY\nCall date: 2025-05-09\nClaim CL-2025-55511 was denied on 2025-05-02.\n"
    assert extract_case_facts([letter]).date_of_denial == dt.date(2025, 5, 2)


def test_patient_is_the_child_not_the_addressee() -> None:
    letter = (
        "Bluebird Care Plan\n\nTo the parent or guardian of Mila Okafor\nMember number: BCP-22-118833\n"
        "Claim BB-2025-004411 for a visit at Northside Pediatrics was not paid.\n"
    )
    facts = extract_case_facts([letter])
    assert facts.patient_name == "Mila Okafor"
    assert facts.member_id == "BCP-22-118833"
    assert facts.claim_number == "BB-2025-004411"
    assert facts.provider_name == "Northside Pediatrics"


def test_payer_drops_plan_type_keeps_legal_suffix() -> None:
    facts = extract_case_facts(["LAKESIDE MUTUAL INSURANCE CO. (PPO) | remittance\nPatient: Ann Lee\n"])
    assert facts.payer_name is not None
    assert facts.payer_name.lower() == "lakeside mutual insurance co."
    assert facts.plan_type == "PPO"


def test_member_id_printed_with_spaces_and_last_first_name() -> None:
    facts = extract_case_facts(
        ["[acme health :: relay] claim_id=AC-2501-77812 patient=DOE, JANE member_no=ACH 4410 2231 07"]
    )
    assert facts.member_id == "ACH 4410 2231 07"
    assert facts.patient_name == "Jane Doe"
    assert facts.claim_number == "AC-2501-77812"


def test_original_claim_is_not_the_denied_claim() -> None:
    letter = (
        "Topic: claim ZZ25-0101-10002, duplicate of the original claim ZZ25-0101-10001.\n"
        "Wait for the remittance on ZZ25-0101-10001.\n"
    )
    assert extract_case_facts([letter]).claim_number == "ZZ25-0101-10002"


def test_contacts_digits_only_and_fax_told_apart() -> None:
    facts = extract_case_facts(["To appeal, call 1-800-555-0142 (TTY 711) or fax your request to (800) 555-0199."])
    assert facts.appeal_contact.phone == "18005550142"
    assert facts.appeal_contact.fax == "8005550199"


def test_evidence_spans_point_into_the_right_page() -> None:
    pages = ["OAKTREE HEALTH PLAN\nNotice", "Member ID: OHP-55-12345\nClaim: OK-2025-99881"]
    facts = extract_case_facts(pages)
    span = facts.evidence["member_id"][0]
    assert span.page == 2
    assert pages[1][span.start : span.end] == "OHP-55-12345"
