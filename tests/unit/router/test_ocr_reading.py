"""OCR-tolerant reading of codes and identifiers: only on OCR'd text, only where the layout expects them."""

from __future__ import annotations

from denialops_router.domain import extract_case_facts, read_by_ocr

# A scanned letter as Tesseract reads it: `GO299` for G0299, `291.81` for Z91.81, `Z00. 00`, a space
# after a hyphen in the member id.
SCANNED = (
    "Silverpine Community Health\nMarch 18, 2025\n\n"
    "ICN: 2025031800412\n"
    "Member ID: SCH- 7720-41186\n"
    "Services billed: GO299 skilled nursing visit (RN), 12 visits $2,160.00\n"
    "G0151 physical therapy visit, 10 visits $1,800.00\n"
    "Diagnoses: I50.22, 291.81\n"
    "Secondary diagnosis: Z00. 00\n"
    "Denial code: CO-197\n"
)


def test_codes_and_ids_misread_by_ocr_are_read_in_their_fields() -> None:
    facts = extract_case_facts([SCANNED], ocr=True)
    assert facts.member_id == "SCH-7720-41186"
    assert facts.hcpcs_codes == ["G0299", "G0151"]
    assert facts.icd10_codes == ["I50.22", "Z91.81", "Z00.00"]
    assert facts.cpt_codes == []
    # The evidence still points at what the page printed.
    span = facts.evidence["member_id"][0]
    assert SCANNED[span.start : span.end] == "SCH- 7720-41186"


def test_typed_text_is_read_as_printed() -> None:
    facts = extract_case_facts([SCANNED])
    assert facts.member_id != "SCH-7720-41186"
    assert facts.hcpcs_codes == ["G0151"]
    assert facts.icd10_codes == ["I50.22", "Z00"]


def test_prose_and_other_fields_give_no_ocr_code() -> None:
    letter = (
        "Harbor Plan\nMarch 3, 2025\nClaim #: HP- 2231-0042\n"
        "Date of service: 02/11/2025\nTotal billed: 9921S\n"
        "We reviewed GO299 and 291.81 in your records; call 555-0100 ext. 150.22 for help.\n"
        "Services: SO299 home visit\n"  # S0299 or 50299: two grammars read it, so neither is taken
    )
    facts = extract_case_facts([letter], ocr=True)
    assert facts.claim_number == "HP-2231-0042"
    assert facts.cpt_codes == []
    assert facts.hcpcs_codes == []
    assert facts.icd10_codes == []


def test_a_code_column_of_a_table_reads_ocr_misreadings() -> None:
    letter = (
        "Maple Health remittance\nClaim number: MH250300117\n\n"
        "| Line | CPT   | Dx     | Billed  | Allowed | Paid  |\n"
        "| 1    | 9921S | 2O0.00 | $150.00 | $0.00   | $0.00 |\n"
        "Reason code CO-16.\n"
    )
    facts = extract_case_facts([letter], ocr=True)
    assert facts.cpt_codes == ["99215"]
    assert facts.icd10_codes == ["Z00.00"]
    assert extract_case_facts([letter]).cpt_codes == []


def test_a_digit_group_of_an_id_reads_o_as_zero() -> None:
    facts = extract_case_facts(["Acme Health\nMember ID: ACM-4411O-2933\n"], ocr=True)
    assert facts.member_id == "ACM-44110-2933"


def test_which_extraction_methods_mean_ocr() -> None:
    assert [read_by_ocr(m) for m in ("ocr", "pdf_text+ocr", "pdf_text", "text")] == [True, True, False, False]
