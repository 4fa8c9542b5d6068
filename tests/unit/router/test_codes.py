"""Code shapes versus look-alikes, modifiers, replacement codes and other claims."""

from __future__ import annotations

from denialops_router.domain import extract_case_facts


def test_codes_told_apart_from_zip_phone_ids_years_amounts() -> None:
    letter = (
        "Sunrise Health\n1200 Elm Street, Denver, CO 80202\nMember ID: SH-30094-A  Group 77012\n"
        "Call 303-555-0123 in 2025. Claim SH-25-00412.\n"
        "Procedure: 99213-25 office visit, 20610 RT joint injection, J3301 x 4 units. Charge $12000.00\n"
        "Diagnosis: M17.11, Z23\n"
    )
    facts = extract_case_facts([letter])
    assert facts.cpt_codes == ["99213", "20610"]
    assert facts.hcpcs_codes == ["J3301"]
    assert facts.icd10_codes == ["M17.11", "Z23"]
    assert facts.denial_codes == []


def test_icd_without_dot_only_in_a_diagnosis_context() -> None:
    facts = extract_case_facts(["Dx: M75111\nReason N4 is unrelated. Code R55 elsewhere means nothing."])
    assert facts.icd10_codes == ["M75.111"]


def test_suggested_replacement_code_is_not_billed() -> None:
    letter = (
        "Billed: G0283 (electrical stimulation). Our plans recognize CPT 97014 for this service.\n"
        "Please send a corrected claim replacing G0283 with 97014.\n"
    )
    facts = extract_case_facts([letter])
    assert facts.hcpcs_codes == ["G0283"]
    assert facts.cpt_codes == []


def test_paid_claim_on_the_same_statement_is_left_out() -> None:
    letter = (
        "Maple Plan monthly statement\n\n"
        "  Claim MP2501010000111 - Hill Clinic - 01/02/2025\n     99214 visit  billed $150.00  you pay $20.00\n"
        "     Status: PAID\n\n"
        "  Claim MP2501150000222 - Hill Clinic - 01/15/2025\n     80061 lipid panel  billed $60.00\n"
        "     Diagnosis: E78.5\n     Status: DENIED - code CO-50\n"
    )
    facts = extract_case_facts([letter])
    assert facts.claim_number == "MP2501150000222"
    assert facts.cpt_codes == ["80061"]
    assert facts.billed_amount == 60.0
    assert facts.patient_responsibility is None
    assert str(facts.date_of_service) == "2025-01-15"


def test_denial_code_forms_are_normalised() -> None:
    letter = (
        "Line 1: CO 197. Line 2: group/reason PR 96 / N425. We use reason code 198 here.\n"
        "Group code CO / CARC 125 / RARC N56. adj=OA-18 rarc=M119. Codes CO-22 and N4.\n"
    )
    codes = [c.code for c in extract_case_facts([letter]).denial_codes]
    assert codes == ["CO-197", "PR-96", "N425", "198", "CO-125", "N56", "OA-18", "M119", "CO-22", "N4"]


def test_denial_codes_carry_table_descriptions() -> None:
    code = extract_case_facts(["Adjustment CO-29."]).denial_codes[0]
    assert code.group == "CO"
    assert code.reason == "29"
    assert code.description is not None
    assert "time limit" in code.description.lower()


def test_state_abbreviation_is_not_a_group_code() -> None:
    assert extract_case_facts(["Mail to PO Box 12, Denver, CO 80202 or San Juan, PR 00901"]).denial_codes == []


def test_numbers_in_party_and_identifier_fields_are_not_codes() -> None:
    letter = (
        "Member no.     KLM 44019 5521\nGroup:         Staff Plan (GRP 20931)\n"
        "Trading partner: Valley Pediatrics (TP 00871)\n"
        "Agent (Member Services): The visit was billed as CPT 99214 and denied.\n"
    )
    assert extract_case_facts([letter]).cpt_codes == ["99214"]


def test_codes_given_as_examples_or_guidance_are_not_billed() -> None:
    letter = (
        "99201 was deleted. Submit a new claim with a valid code (e.g. 99202) within 90 days.\n"
        "Partial hospitalization days are reported with H0035; the claim used H2036.\n"
        "The diagnosis sent was the wrong kind of code, for example a screening code (such as Z12.4); "
        "the claim lists R10.9.\n"
    )
    facts = extract_case_facts([letter])
    assert (facts.cpt_codes, facts.hcpcs_codes, facts.icd10_codes) == (["99201"], ["H2036"], ["R10.9"])


def test_a_diagnosis_label_covers_only_its_own_cell() -> None:
    facts = extract_case_facts(["H0015 x 5 | dx F11.20 | billed $1,140.00 | CO-109, N418"])
    assert facts.icd10_codes == ["F11.20"]
    assert [c.code for c in facts.denial_codes] == ["CO-109", "N418"]


def test_denial_codes_in_words_segments_and_labelled_fields() -> None:
    letter = (
        "Line 1 walker  Group CO Reason 45; Group PR Reason 1\n"
        "  2024-08-12  99214   210.00   0.00   CAS*CO*29*210.00\n"
        "CARC 29   The time limit for filing has expired.\n"
        "We denied payment. Reason code on the claim: 204 (not covered).\n"
        "Reject reason:  31 - Patient cannot be identified.\n"
        "Reason 1 (primary) - CO-288: referral absent. REASON 197 ALSO APPLIES.\n"
    )
    codes = [c.code for c in extract_case_facts([letter]).denial_codes]
    assert codes == ["CO-45", "PR-1", "CO-29", "204", "31", "CO-288", "197"]


def test_a_legend_explaining_another_claims_codes_is_left_out() -> None:
    letter = (
        "| claim          | code  | billed | paid  | adj        | status |\n"
        "| QA250306-10221 | 99213 | 165.00 | 87.60 | CO-45 PR-3 | PAID   |\n"
        "| QA250310-10498 | 99213 | 165.00 | 0.00  | CO-18      | DENIED |\n"
        "\ncode notes\nCO-45  charge exceeds fee schedule\nPR-3   copayment amount\nCO-18  exact duplicate claim\n"
    )
    assert [c.code for c in extract_case_facts([letter]).denial_codes] == ["CO-18"]


def test_codes_of_a_comma_separated_table_are_read_from_their_column() -> None:
    letter = (
        "Remit export\n"
        "claim_no,line,dos,cpt,dx,billed,paid,grp_rsn\n"
        "QA-77,1,3/4/26,99213,M54.50,120.00,0.00,CO-16\n"
        "QA-77,2,3/4/26,J1100,M54.50,15.00,0.00,CO-16\n"
    )
    facts = extract_case_facts([letter])
    assert facts.cpt_codes == ["99213"]
    assert facts.hcpcs_codes == ["J1100"]


def test_example_and_preferred_codes_are_not_billed() -> None:
    letter = (
        "Claim LK-2201. Billed: 64483 epidural injection.\n"
        "A less invasive option (for example CPT\n62321) is usually tried first. If your doctor bills a\n"
        "fixed appliance instead (for instance D6245/D6740 or\n   D5211), it is reviewed on its own.\n"
        "The plan's preferred product, Truxima (rituximab-abbs, HCPCS Q5115), is covered. Your doctor may\n"
        "change the prescription to Truxima (Q5115) and send a new request.\n"
    )
    facts = extract_case_facts([letter])
    assert facts.cpt_codes == ["64483"]
    assert facts.hcpcs_codes == []


def test_codes_of_an_edit_column_are_no_billed_services() -> None:
    letter = (
        "Front-end rejection report\n"
        "Claim ZP-5530   Service 99213   Charge $95.00\n\n"
        "  Edit    Segment      Message\n"
        "  -----   ----------   ------------------------------\n"
        "  A2104   NM1*85       Billing provider address invalid.\n"
        "  E0310   REF*G1       Referral number missing.\n"
    )
    facts = extract_case_facts([letter])
    assert facts.cpt_codes == ["99213"]
    assert facts.hcpcs_codes == []
