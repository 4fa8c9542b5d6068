"""Two page columns flattened into one run of lines are read one column after the other (synthetic)."""

from __future__ import annotations

import datetime as dt

from denialops_router.domain.codes import find_procedure_codes
from denialops_router.domain.extract import extract_case_facts
from denialops_router.domain.layout import reading_order, reading_pieces
from denialops_router.domain.scope import find_scope
from denialops_router.domain.text import Doc, Span

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


def test_a_window_split_by_the_other_column_is_read_whole() -> None:
    # `within 120` ends one line of the right column and `days of the date of this notice` starts the
    # next; flattened, the left column's claim lines sit between them.
    right = [
        "HOW TO RESOLVE",
        "If the wrong diagnosis was keyed,",
        "send us a corrected claim for it.",
        "Corrected claims must reach us",
        "in full within 120",
        "days of the date of this notice,",
        "by mail or through the provider",
        "portal. Call us with questions.",
        "",
    ]
    lines = (f"{left:<40}{r}".rstrip() for left, r in zip(LEFT, right, strict=True))
    text = "NOTICE DATE: 01/24/2025\n" + "\n".join(lines) + "\n"
    facts = extract_case_facts([text])
    assert facts.appeal_window_days == 120
    assert facts.appeal_deadline == dt.date(2025, 5, 24)
    evidence = facts.evidence["appeal_window_days"][0]
    assert text[evidence.start : evidence.end].startswith("120")


def test_reading_order_maps_spans_back_to_the_letter() -> None:
    doc = Doc([TEXT])
    reading = reading_order(doc)
    at = reading.doc.text.index("within 120 days")
    found = reading.original(Span(at, at + len("within 120")))
    assert doc.text[found.start : found.end] == "within 120"
    # A span from the left column's last line into the right column's first keeps its first part.
    end_of_left = reading.doc.text.index("Status: DENIED") + len("Status: DENIED")
    crossing = reading.original(Span(end_of_left - 6, end_of_left + 10))
    assert doc.text[crossing.start : crossing.end] == "DENIED"


def test_a_letter_without_columns_is_its_own_reading_order() -> None:
    doc = Doc(["Claim No.: 12345\nWe denied the claim. You may appeal within 60 days of this notice.\n"])
    reading = reading_order(doc)
    assert reading.doc is doc
    assert reading.original(Span(3, 9)) == Span(3, 9)
