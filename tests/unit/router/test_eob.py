"""EOB / remittance facts: the sample remits and EOBs (totals and codes checked by hand) and synthetic remits."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from denialops_router.domain import extract_eob_facts
from denialops_shared.contracts.artifacts import EobFacts, Evidence
from tests.infra import ROOT

LETTERS = ROOT / "data" / "samples" / "letters"


def _sample(name: str) -> tuple[list[str], EobFacts]:
    pages = [(LETTERS / f"{name}.txt").read_text(encoding="utf-8")]
    return pages, extract_eob_facts(pages)


def _quote(pages: list[str], span: Evidence) -> str:
    return pages[span.page - 1][span.start : span.end]


def test_key_value_log_lines_codes_and_printed_totals() -> None:
    pages, eob = _sample("007")
    assert eob.claim_number == "OM-2412-0093381"
    assert eob.member_id == "OMI-66-20417-A"
    (claim,) = eob.claims
    assert [ln.procedure_code for ln in claim.lines] == ["96372", "J1885", "J3301"]
    assert [ln.units for ln in claim.lines] == [None, 2, 4]
    assert [ln.amounts.paid for ln in claim.lines] == [Decimal("31.20"), Decimal("0.00"), Decimal("0.00")]
    assert [[a.code for a in ln.adjustments] for ln in claim.lines] == [[], ["CO-16", "M119"], ["CO-16", "M119"]]
    assert claim.totals.billed == Decimal("108.00")
    assert claim.totals.patient_responsibility == Decimal("0.00")
    assert claim.totals_source == "printed"
    assert claim.status == "partially_denied"
    assert claim.date_of_service == dt.date(2024, 12, 2)
    assert eob.statement_date == dt.date(2024, 12, 9)
    assert eob.denial_codes == ["CO-16", "M119"]
    assert _quote(pages, claim.lines[1].evidence["billed"][0]) == "24.00"


def test_pipe_table_remit_reads_columns_and_the_totals_row() -> None:
    pages, eob = _sample("010")
    (claim,) = eob.claims
    first, second = claim.lines
    assert (first.procedure_code, first.modifiers, second.procedure_code) == ("29827", ["RT"], "29828")
    assert first.amounts.model_dump() == {
        "billed": Decimal("4210.00"),
        "allowed": Decimal("1388.42"),
        "paid": Decimal("1110.74"),
        "patient_responsibility": Decimal("277.68"),
    }
    assert [a.code for a in first.adjustments] == ["CO-45", "PR-2"]
    assert [a.code for a in second.adjustments] == ["CO-15", "CO-4"]
    assert claim.totals.billed == Decimal("6360.00")
    assert claim.totals.paid == Decimal("1110.74")
    assert claim.totals_source == "printed"
    assert first.date_of_service == dt.date(2024, 9, 23)
    assert _quote(pages, first.evidence["procedure_code"][0]) == "29827"


def test_statement_with_a_paid_and_a_denied_claim_points_at_the_denied_one() -> None:
    _, eob = _sample("015")
    paid, denied = eob.claims
    assert (paid.claim_number, paid.status) == ("WR2410020031180", "paid")
    assert (denied.claim_number, denied.status) == ("WR2410090034472", "denied")
    assert eob.claim_number == "WR2410090034472"
    assert [ln.procedure_code for ln in denied.lines] == ["J3420", "96372"]
    assert denied.totals.billed == Decimal("70.00")
    assert denied.totals.allowed == Decimal("0.00")
    # Codes explained in a note under the claim belong to that claim, not to the paid one.
    assert [a.code for a in denied.adjustments] == ["CO-50", "N115"]
    assert paid.adjustments == []
    assert eob.denial_codes == ["CO-50", "N115"]


@pytest.mark.parametrize(
    ("name", "code", "billed", "patient", "denial_codes"),
    [
        ("009", "97535", 140.00, 140.00, ["PR-119"]),
        ("012", "90691", 407.00, 407.00, ["PR-204"]),
        ("016", "G0283", 45.00, None, ["CO-125", "N56"]),
    ],
)
def test_member_eobs_and_boxed_notices(
    name: str, code: str, billed: float, patient: float | None, denial_codes: list[str]
) -> None:
    _, eob = _sample(name)
    (claim,) = eob.claims
    assert claim.lines[0].procedure_code == code
    assert claim.totals.billed == billed
    assert claim.totals.patient_responsibility == patient
    assert claim.status == "denied"
    assert eob.denial_codes == denial_codes


REMIT_PAGE_1 = """\
SUMMIT RIDGE HEALTH PLAN - ELECTRONIC REMITTANCE ADVICE
Payee: Harbor Point Orthopedics                 NPI 1234567893
EFT trace number: 0098812345       EFT date: 04/02/2025       Payment amount: $212.40

Claim number: SR25-0331-5501   Patient: Dana Whitlock   Member ID: SRH-448-2201
  DOS         CPT     Billed     Allowed    Paid      Pt resp    Adj
  03/20/2025  99213   $150.00    $98.00     $78.40    $19.60     CO-45 $52.00  PR-2 $19.60
  03/20/2025  20610   $210.00    $134.00    $134.00   $0.00      CO-45 $76.00
"""
REMIT_PAGE_2 = """\
Claim number: SR25-0331-5502   Patient: Dana Whitlock   Member ID: SRH-448-2201
  DOS         CPT     Billed     Allowed    Paid      Pt resp    Adj
  03/27/2025  97110   $95.00     $0.00      $0.00     $0.00      CO-197 N54
  03/27/2025  97110   $95.00     $0.00      $0.00     $0.00      CO-197 N54
  Claim totals billed $190.00 paid $0.00
"""


def test_multi_page_remit_with_payment_and_repeated_codes() -> None:
    pages = [REMIT_PAGE_1, REMIT_PAGE_2]
    eob = extract_eob_facts(pages)
    assert (eob.payment.method, eob.payment.number) == ("eft", "0098812345")
    assert eob.payment.date == dt.date(2025, 4, 2)
    assert eob.payment.amount == Decimal("212.40")
    first, second = eob.claims
    assert first.status == "paid"
    assert second.status == "denied"
    assert eob.claim_number == "SR25-0331-5502"
    # The same code on two lines stays two lines, each with its own adjustments.
    assert [ln.procedure_code for ln in second.lines] == ["97110", "97110"]
    assert [[a.code for a in ln.adjustments] for ln in second.lines] == [["CO-197", "N54"]] * 2
    assert [a.amount for a in first.lines[0].adjustments] == [Decimal("52.00"), Decimal("19.60")]
    assert second.totals.billed == Decimal("190.00")
    assert second.totals.paid == Decimal("0.00")
    assert first.totals.patient_responsibility == Decimal("19.60")
    assert first.totals_source == "sum_of_lines"
    span = second.evidence["claim_number"][0]
    assert span.page == 2
    assert _quote(pages, span) == "SR25-0331-5502"
    assert eob.denial_codes == ["CO-197", "N54"]


def test_a_check_number_and_unreadable_input() -> None:
    eob = extract_eob_facts(["Check #: 55012345  issued 05/01/2025  Check amount: $1,020.00\nClaim 7788123 paid"])
    assert (eob.payment.method, eob.payment.number, eob.payment.amount) == ("check", "55012345", Decimal("1020.00"))
    for junk in ([], [""], ["\x00\x01 |||| $$ 12,34 CO-"]):
        facts = extract_eob_facts(junk)
        assert facts.denial_codes == []
        assert [c.lines for c in facts.claims] == [[]]
