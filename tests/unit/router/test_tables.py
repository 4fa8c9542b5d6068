"""Tables read from varied layouts (synthetic statements written for these tests)."""

from __future__ import annotations

from denialops_router.domain.structure import fields
from denialops_router.domain.tables import Table, tables
from denialops_router.domain.text import Doc


def _grid(doc: Doc, table: Table) -> list[list[str]]:
    return [[" / ".join(doc.text[p.start : p.end] for p in cell) for cell in row.cells] for row in table.rows]


def _only(text: str) -> tuple[Doc, Table]:
    doc = Doc([text])
    (table,) = tables(doc)
    return doc, table


def test_pipe_table_with_markdown_rule_and_totals() -> None:
    doc, table = _only(
        "| Ln | Code  | Billed | Allowed | Pt resp | Adj   |\n"
        "|----|-------|--------|---------|---------|-------|\n"
        "| 1  | 99213 | 120.00 | 80.00   | 20.00   | CO-45 |\n"
        "| Total |   | 120.00 | 80.00   | 20.00   |       |\n"
    )
    assert [c.role for c in table.columns] == [
        "line",
        "procedure code",
        "billed",
        "allowed",
        "patient responsibility",
        "carc",
    ]
    assert _grid(doc, table) == [
        ["1", "99213", "120.00", "80.00", "20.00", "CO-45"],
        ["Total", "", "120.00", "80.00", "20.00", ""],
    ]
    assert [r.total for r in table.rows] == [False, True]


def test_boxed_table_with_a_two_line_header() -> None:
    doc, table = _only(
        "+------+---------+--------+--------+\n"
        "| Date | Service | Amount | Your   |\n"
        "|      |         | billed | share  |\n"
        "+------+---------+--------+--------+\n"
        "| 1/02 | visit   | $90.00 | $10.00 |\n"
        "+------+---------+--------+--------+\n"
    )
    assert [c.name for c in table.columns] == ["date", "service", "amount billed", "your share"]
    assert table.column("patient responsibility") == 3
    assert _grid(doc, table) == [["1/02", "visit", "$90.00", "$10.00"]]


def test_fixed_width_cells_go_under_their_column() -> None:
    doc, table = _only(
        "DOS         CODE   UNITS     CHARGES    ALLOWED   PAID     PATIENT   ADJ\n"
        "                                                           RESP\n"
        "2025/01/02  97110      2      300.00     120.00   96.00    24.00     CO-45 180.00\n"
        "                                                                     PR-2  24.00\n"
        "2025/01/02  97140      1      150.00       0.00    0.00     0.00     CO-97\n"
        "---------------------------------------------------------------------------------\n"
        "CLAIM TOTALS                  450.00     120.00   96.00    24.00\n"
        "CO-97  The benefit for this service is included in the payment for another service.\n"
    )
    assert table.columns[6].name == "patient resp"
    assert _grid(doc, table) == [
        ["2025/01/02", "97110", "2", "300.00", "120.00", "96.00", "24.00", "CO-45 180.00 / PR-2  24.00"],
        ["2025/01/02", "97140", "1", "150.00", "0.00", "0.00", "0.00", "CO-97"],
        ["CLAIM TOTALS", "", "", "450.00", "120.00", "96.00", "24.00", ""],
    ]
    assert table.rows[-1].total


def test_flattened_columns_are_read_by_the_order_of_their_amounts() -> None:
    doc, table = _only(
        "Line Date Code Billed Allowed Paid Patient Resp\n"
        "1 01/03/2025 99214 $210.00 $0.00 $0.00 $210.00\n"
        "Total $210.00 $0.00 $0.00 $210.00\n"
    )
    assert [c.role for c in table.columns][-4:] == ["billed", "allowed", "paid", "patient responsibility"]
    assert _grid(doc, table)[1] == ["", "", "", "$210.00", "$0.00", "$0.00", "$210.00"]
    assert table.rows[1].total


def test_prose_and_key_values_are_not_tables_and_table_rows_are_not_fields() -> None:
    text = (
        "Claim: AB-1   Billed: $40.00   Allowed: $0.00\n"
        "We denied the claim because the service is not covered under your plan and you may appeal.\n\n"
        "Code   Description    Billed   Allowed\n"
        "99213  Office visit   $40.00   $0.00\n"
    )
    doc = Doc([text])
    assert len(tables(doc)) == 1
    assert [f.label for f in fields(doc)] == ["claim", "billed", "allowed"]


def test_a_header_beside_a_second_page_column_keeps_its_own_cells() -> None:
    doc, table = _only(
        "CPT    Billed    Allowed  Paid   Adj      What to do first. Bill the\n"
        "99214  $210.00   $0.00    $0.00  CO-22    primary payer, then send us\n"
        "94010   $85.00   $0.00    $0.00  CO-22    a claim with its EOB.\n"
    )
    assert [c.name for c in table.columns] == ["cpt", "billed", "allowed", "paid", "adj"]
    assert _grid(doc, table) == [
        ["99214", "$210.00", "$0.00", "$0.00", "CO-22"],
        ["94010", "$85.00", "$0.00", "$0.00", "CO-22"],
    ]


def test_comma_separated_export_with_underscored_header_and_empty_cells() -> None:
    doc, table = _only(
        "Remit export generated 02/03/2026\n"
        "clm_id,ln,svc_date,proc,billed_amt,allowed_amt,pt_resp,adj_rsn\n"
        'ZX-1001,1,02/01/26,97110,"1,250.00",0.00,0.00,CO-16\n'
        "ZX-1001,2,02/01/26,97140,80.00,40.00,,CO-45\n"
        "ZX-1001,TOTAL,,,1330.00,40.00,0.00,\n"
    )
    assert [c.role for c in table.columns] == [
        "claim number",
        "line",
        "date of service",
        "procedure code",
        "billed",
        "allowed",
        "patient responsibility",
        "carc",
    ]
    assert _grid(doc, table) == [
        ["ZX-1001", "1", "02/01/26", "97110", "1,250.00", "0.00", "0.00", "CO-16"],
        ["ZX-1001", "2", "02/01/26", "97140", "80.00", "40.00", "", "CO-45"],
        ["ZX-1001", "TOTAL", "", "", "1330.00", "40.00", "0.00", ""],
    ]
    assert [r.total for r in table.rows] == [False, False, True]


def test_prose_with_commas_is_no_table() -> None:
    doc = Doc(["We reviewed the claim, the billed amount, the allowed amount, and the records.\n1, 2, 3, 4.00\n"])
    assert tables(doc) == []


def test_boxed_header_over_two_lines_with_an_abbreviation() -> None:
    doc, table = _only(
        "+-------+---------+----------+---------+\n"
        "| Visit | Charged | Copay /  | Insurer |\n"
        "| date  |         | Coins.   | paid    |\n"
        "+-------+---------+----------+---------+\n"
        "| 04/02 |  150.00 |    20.00 |   90.00 |\n"
    )
    assert [c.name for c in table.columns] == ["visit date", "charged", "copay / coins.", "insurer paid"]
    assert [c.role for c in table.columns] == ["date of service", "billed", "coinsurance", "paid"]
    assert _grid(doc, table) == [["04/02", "150.00", "20.00", "90.00"]]


def test_a_dashed_rule_gives_the_columns_and_a_grouped_report_goes_on_past_a_blank_line() -> None:
    doc, table = _only(
        "MEMBER NAME    CLAIM NO     LN DOS      CODE  BILLED   PAID   ADJ\n"
        "-------------- ------------ -- -------- ----- ------ ------ ------\n"
        "ROE, ANN       QX2611000041 01 10/01/26 99213  95.00  60.00 CO-45\n"
        "                                 CLAIM TOTAL:      95.00  60.00\n"
        "\n"
        "LIM, BO        QX2611000057 01 10/02/26 97110  80.00   0.00 CO-50\n"
        "                            02 10/02/26 97140  40.00   0.00 CO-50\n"
        "\n"
        "PAYMENT SUMMARY   NET 60.00\n"
    )
    assert [c.name for c in table.columns] == ["member name", "claim no", "ln", "dos", "code", "billed", "paid", "adj"]
    assert _grid(doc, table) == [
        ["ROE, ANN", "QX2611000041", "01", "10/01/26", "99213", "95.00", "60.00", "CO-45"],
        ["", "", "", "", "", " 95.00", " 60.00", ""],
        ["LIM, BO", "QX2611000057", "01", "10/02/26", "97110", "80.00", "0.00", "CO-50"],
        ["", "", "02", "10/02/26", "97140", "40.00", "0.00", "CO-50"],
    ]
    assert [r.total for r in table.rows] == [False, True, False, False]


def test_a_blank_line_ends_a_table_without_a_claim_column() -> None:
    doc, table = _only("Code   Billed   Paid\n99213  95.00    60.00\n\n97110  80.00    0.00\n")
    assert _grid(doc, table) == [["99213", "95.00", "60.00"]]
