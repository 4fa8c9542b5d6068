"""Amounts read by role from tables, fields and prose (synthetic letters written for these tests)."""

from __future__ import annotations

from decimal import Decimal

from denialops_router.domain import extract_case_facts
from denialops_router.domain.amounts import KINDS, find_amounts, resolve
from denialops_router.domain.scope import find_scope
from denialops_router.domain.text import Doc


def _amounts(text: str) -> dict[str, Decimal | None]:
    doc = Doc([text])
    facts = find_amounts(doc, find_scope(doc), [])
    return {kind: resolve(facts, kind)[0] for kind in (*KINDS, "coinsurance")}


def test_a_table_totals_row_gives_the_claim_amounts() -> None:
    text = (
        "Payment: $30.00\n\n"
        "LN  CODE          BILLED  ALLOWED  COINS   PAID  PT RESP\n"
        "01  97110         200.00    50.00  10.00  40.00    10.00\n"
        "02  97140         100.00     0.00   0.00   0.00     0.00\n"
        "    CLAIM TOTAL   300.00    50.00  10.00  40.00    10.00\n"
        "You were charged $300.00 for these services.\n"
    )
    assert _amounts(text) == {
        "billed": Decimal("300.00"),
        "allowed": Decimal("50.00"),
        "paid": Decimal("40.00"),
        "patient": Decimal("10.00"),
        "coinsurance": Decimal("10.00"),
    }


def test_lines_add_up_when_no_total_is_printed_and_shares_make_the_patient_part() -> None:
    text = (
        "| Code  | Charge  | Allowed | Deductible | Copay |\n"
        "| 99213 | $120.10 | $80.05  | $30.00     | $0.00 |\n"
        "| 36415 | $15.20  | $5.00   | $0.00      | $5.00 |\n"
    )
    found = _amounts(text)
    assert (found["billed"], found["allowed"], found["patient"]) == (
        Decimal("135.30"),
        Decimal("85.05"),
        Decimal("35.00"),
    )


def test_labels_name_the_amount_and_a_bare_amount_reads_its_line() -> None:
    text = (
        "EFT trace: 0099  EFT date: 01/02/2025  Amount: $41.20\n"
        "Total billed:   $1,250.00\nAllowed amount ...... $0.00\nYou owe: $1,250.00. Questions? Call us.\n"
    )
    found = _amounts(text)
    assert (found["billed"], found["allowed"], found["paid"], found["patient"]) == (
        Decimal("1250.00"),
        Decimal("0.00"),
        Decimal("41.20"),
        Decimal("1250.00"),
    )


def test_key_value_records_with_a_totals_record() -> None:
    text = (
        "line1 proc=96372 chg=38.00 allow=31.20 paid=31.20\n"
        "line2 proc=J1885 chg=24.00 allow=0.00 paid=0.00\n"
        "totals chg=62.00 allow=31.20 paid=31.20 pt_resp=0.00\n"
    )
    found = _amounts(text)
    assert (found["billed"], found["allowed"], found["patient"]) == (
        Decimal("62.00"),
        Decimal("31.20"),
        Decimal("0.00"),
    )


def test_prose_amounts_are_read_when_there_is_no_structure() -> None:
    found = _amounts("The provider billed $310.00 for the visit and the plan allowed $0.00, so you owe nothing.")
    assert (found["billed"], found["allowed"], found["patient"]) == (Decimal("310.00"), Decimal("0.00"), None)


def test_the_next_sentence_can_say_the_patient_owes_the_amount_before_it() -> None:
    found = _amounts("The amount of $486.00 is not covered by the plan. You may owe Elm Clinic for it.\n")
    assert (found["billed"], found["patient"]) == (Decimal("486.00"), Decimal("486.00"))
    # A sentence that names its own amount, or owes nothing, says nothing about the one before it.
    assert _amounts("We allowed $120.00. You may owe $20.00 of it.")["patient"] == Decimal("20.00")
    assert _amounts("The plan allowed $120.00. You may be billed for other care.")["patient"] is None


def test_a_totals_line_of_fields_and_other_spellings_of_the_patient_share() -> None:
    text = (
        "  58970  retrieval   billed $3,200.00   your share $3,200.00\n"
        "  89250  culture     billed $2,450.00   your share $2,450.00\n"
        "  Claim total billed $5,650.00     You may owe: $5,650.00\n"
    )
    assert _amounts(text)["patient"] == Decimal("5650.00")
    assert _amounts("total_billed=80.00\nmember_resp=0.00\n")["patient"] == Decimal("0.00")
    assert _amounts("Billed: $3,880.00   Allowed: $0.00\nMember liability: $0.00.")["patient"] == Decimal("0.00")


def test_a_column_named_only_on_the_second_header_line() -> None:
    text = (
        "  Service              Provider    Approved   Your\n"
        "                       charged     amount     share    Notes\n"
        "  20610  Injection     $210.00     $88.40     $20.00   CO-45\n"
        "  Claim total          $210.00     $88.40     $20.00\n"
    )
    found = _amounts(text)
    assert (found["billed"], found["allowed"], found["patient"]) == (
        Decimal("210.00"),
        Decimal("88.40"),
        Decimal("20.00"),
    )


def test_an_unlabelled_last_row_that_adds_up_the_others_is_their_total() -> None:
    text = "CPT    Billed    Allowed\n99214  $210.00   $0.00\n94010   $85.00   $0.00\nClaim  $295.00   $0.00\n"
    assert _amounts(text)["billed"] == Decimal("295.00")


def test_a_labelled_service_line_is_a_charge_and_a_wrapped_description_keeps_the_table() -> None:
    text = "  A4239 CGM supply allowance ..... 418.50 USD\n  Total billed:   1,030.50 USD\n  Allowed:   0.00 USD\n"
    assert (_amounts(text)["billed"], _amounts(text)["allowed"]) == (Decimal("1030.50"), Decimal("0.00"))
    table = (
        "Service / Servicio                      Billed    You owe\n"
        "98941 Chiropractic manipulation,        $95.00    $95.00\n"
        "      3-4 regions / Manipulación\n"
        "97012 Mechanical traction / Tracción    $40.00    $40.00\n"
        "Total                                   $135.00   $135.00\n"
    )
    assert _amounts(table)["patient"] == Decimal("135.00")


def test_on_a_statement_of_several_claims_the_denied_claims_amounts_win() -> None:
    text = (
        "Total you may be billed ...................... $38.21\n\n"
        "Claim number 25-12744-0098-01  |  Clinic A  |  05/02/2025\n"
        "  99214 visit   Amount charged $210.00 | Medicare paid $152.84 | You may be billed $38.21\n\n"
        "Claim number 25-13390-2261-04  |  Clinic B  |  05/12/2025\n"
        "  93351 echo   Amount charged $1,240.00 | Medicare paid $0.00 | You may be billed $0.00\n"
    )
    found = _amounts(text)
    assert (found["billed"], found["patient"]) == (Decimal("1240.00"), Decimal("0.00"))


def test_amounts_named_after_them_on_service_lines_and_without_a_currency_sign() -> None:
    facts = extract_case_facts(["Claim for 90837 on 05/06/2025, $210.00, came back denied. Copay $25.00 applies."])
    assert (facts.billed_amount, facts.patient_responsibility) == (Decimal("210.00"), Decimal("25.00"))
    assert _amounts("Office visit on 03/01: $40.00 coinsurance")["patient"] == Decimal("40.00")
    found = _amounts("PR-200 (lapse in coverage). Allowed 0.00, pt resp\n  1,380.00. Version 2.00 applies.")
    assert (found["allowed"], found["patient"]) == (Decimal("0.00"), Decimal("1380.00"))
    found = _amounts("EFT amount: $41.20\n73630 X-ray foot, 3 views    $96.00\nMember liab.:   0.00 USD\n")
    assert (found["paid"], found["billed"], found["patient"]) == (Decimal("41.20"), Decimal("96.00"), Decimal("0.00"))


def test_patient_share_labels_and_an_abbreviated_label_with_its_dot() -> None:
    assert _amounts("Charge ........ $90.00\nPatient share .. $0.00\n")["patient"] == Decimal("0.00")
    assert _amounts("Amount submitted: $50.00\nMember cost share: $12.00 (coinsurance)\n")["patient"] == Decimal(
        "12.00"
    )
    assert _amounts("  Total billed       $70.00\n  Patient resp.      $70.00\n")["patient"] == Decimal("70.00")
