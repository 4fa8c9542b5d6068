"""Two page columns flattened into one run of lines are read one column after the other (synthetic)."""

from __future__ import annotations

from denialops_router.domain.codes import find_procedure_codes
from denialops_router.domain.layout import reading_pieces
from denialops_router.domain.scope import find_scope
from denialops_router.domain.text import Doc

LEFT = [
    "CLAIM 1 OF 2",
    "Claim No.:  QR-250114-07715",
    "73610 X-ray ankle    $88.00",
    "Status: PAID",
    "",
    "CLAIM 2 OF 2",
    "Claim No.:  QR-250114-07716",
    "73630 X-ray foot     $96.00",
    "Status: DENIED",
]
RIGHT = [
    "HOW TO RESOLVE",
    "If the wrong diagnosis was keyed,",
    "send a corrected claim that will",
    "not deny again as a duplicate of",
    "the first one. Corrected claims",
    "must reach us within 120 days of",
    "the date of this notice, by mail",
    "or through the provider portal.",
    "",
]
TEXT = "\n".join(f"{left:<40}{right}".rstrip() for left, right in zip(LEFT, RIGHT, strict=True)) + "\n"


def test_the_left_column_is_read_before_the_right_one() -> None:
    doc = Doc([TEXT])
    pieces = [doc.text[p.start : p.end] for p in reading_pieces(doc)]
    assert pieces[: len(LEFT)] == LEFT
    right = [p for p in pieces[len(LEFT) :] if p]
    assert right == [r for r in RIGHT if r]


def test_a_claims_block_does_not_take_the_other_columns_words() -> None:
    # The right column's `deny` sits beside the paid claim's lines; read by column, that claim is paid.
    doc = Doc([TEXT])
    assert [h.code for h in find_procedure_codes(doc, find_scope(doc)).cpt] == ["73630"]


def test_a_fixed_width_table_is_not_two_columns() -> None:
    rows = [f"0{i}  01-APR-2025  E026{i}  RR      1  210.00     0.00    0.00   CO-50   N115" for i in range(8)]
    doc = Doc(["\n".join(rows)])
    assert len(reading_pieces(doc)) == len(rows)
