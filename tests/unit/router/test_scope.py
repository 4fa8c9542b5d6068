"""Statements with several claims: only the denied claim's parts are read (synthetic letters)."""

from __future__ import annotations

from denialops_router.domain.codes import find_procedure_codes
from denialops_router.domain.scope import find_scope
from denialops_router.domain.text import Doc


def _cpt(text: str) -> list[str]:
    doc = Doc([text])
    return [hit.code for hit in find_procedure_codes(doc, find_scope(doc)).cpt]


def test_a_table_claim_column_keeps_the_denied_claims_rows() -> None:
    text = (
        "| Claim #       | Code  | Billed | Paid  | Codes      |\n"
        "| AB-2025-11111 | 99213 | 120.00 | 90.00 | CO-45 PR-3 |\n"
        "| AB-2025-22222 | 97110 | 80.00  | 0.00  | CO-50      |\n"
        "| AB-2025-22222 | 97140 | 60.00  | 0.00  | CO-50      |\n"
        "\nNotes: AB-2025-11111 E11.9 | AB-2025-22222 M54.5\n"
    )
    assert _cpt(text) == ["97110", "97140"]


def test_claim_blocks_each_with_its_table_and_the_last_one_denied() -> None:
    text = (
        "CLAIM 1 OF 2   Claim no. QZ250101001   Patient: Lee Park\n\n"
        " Date         Service             Billed     Paid\n"
        " 01/01/2025   visit (99214)       $200.00    $150.00\n\n"
        "CLAIM 2 OF 2   Claim no. QZ250111002   Patient: Lee Park\n\n"
        " Date         Service             Billed     Paid\n"
        " 01/11/2025   MRI (72148)         $900.00    $0.00\n"
    )
    assert _cpt(text) == ["72148"]


def test_a_sentence_about_another_claim_is_left_out() -> None:
    text = (
        "Claim No.: HB-25-0001-4418\nThe claim for 80053 lacked the ordering NPI and was denied.\n\n"
        "For your records: claim HB-25-0001-4417 (venipuncture, 36415) was paid.\n"
    )
    assert _cpt(text) == ["80053"]


def test_one_claim_and_no_denial_wording_keeps_everything() -> None:
    assert _cpt("Claim: ZZ-1234567\n99213 office visit billed $90.00 paid $90.00\n") == ["99213"]


def test_a_batch_report_keeps_the_rejected_row_even_without_a_claim_number() -> None:
    text = (
        "SEQ  PATIENT          DOS         CHARGES   RESULT    CLAIM NO.\n"
        "001  ROE, ANA         05/05/2025  $148.00   ACCEPTED  QX25050900410\n"
        "002  DOE, PIA         05/05/2025  $231.00   REJECTED  (none assigned)\n"
        "003  POE, KIP         05/06/2025  $96.00    ACCEPTED  QX25050900411\n"
    )
    doc = Doc([text])
    scope = find_scope(doc)
    assert scope.allows(doc.text.index("$231.00"))
    assert not scope.allows(doc.text.index("$148.00"))
    assert not scope.allows(doc.text.index("$96.00"))


def test_rows_that_leave_the_claim_column_empty_go_on_with_the_claim_above() -> None:
    text = (
        "CLAIM NO      CODE    BILLED    PAID  ADJ\n"
        "QX2611000057  97110    80.00    0.00  CO-50\n"
        "              97140    40.00    0.00  CO-50\n"
        "QX2611000041  99213    95.00   60.00  CO-45\n"
        "              99214    50.00   40.00  CO-45\n"
    )
    assert _cpt(text) == ["97110", "97140"]
