"""Key-value fields read from varied layouts (synthetic letters written for these tests)."""

from __future__ import annotations

from denialops_router.domain.structure import Field, fields
from denialops_router.domain.text import Doc


def _pairs(text: str) -> list[tuple[str, str]]:
    doc = Doc([text])
    return [(f.label, f.value(doc)) for f in fields(doc)]


def test_colon_pairs_several_on_one_line() -> None:
    text = "Member:   DOE, JANE Q          Member ID: XQ 11-222-3333\nClaim:    AB12-0001-77   Received: 04/02/2025"
    assert _pairs(text) == [
        ("member", "DOE, JANE Q"),
        ("member id", "XQ 11-222-3333"),
        ("claim", "AB12-0001-77"),
        ("received", "04/02/2025"),
    ]


def test_label_spelling_is_normalised() -> None:
    text = "Claim No.:   ZZ-9\nSubscriber ID#: 55-A\nRef #123456\n  * Plan Name : Gold"
    assert _pairs(text) == [("claim no", "ZZ-9"), ("subscriber id", "55-A"), ("ref", "123456"), ("plan name", "Gold")]


def test_pipes_equals_and_dot_leaders() -> None:
    text = (
        "Re: Claim No. QR-77-1 | Patient: Ann Lee | ID# M-55\n"
        "billed=120.00 allowed=80.00, pt_resp=20.00\n"
        "Amount billed .......... $310.00\n"
        "Amount paid ........     $0.00\n"
    )
    assert _pairs(text) == [
        ("re", "Claim No. QR-77-1"),
        ("claim no", "QR-77-1"),
        ("patient", "Ann Lee"),
        ("id", "M-55"),
        ("billed", "120.00"),
        ("allowed", "80.00"),
        ("pt_resp", "20.00"),
        ("amount billed", "$310.00"),
        ("amount paid", "$0.00"),
    ]


def test_two_space_and_one_space_forms() -> None:
    text = "Patient      Cordelia Q. Baird\nDOS 03/21/2025   CPT 99213   Billed $168.00\nAccount   | 7730-22"
    assert _pairs(text) == [
        ("patient", "Cordelia Q. Baird"),
        ("dos", "03/21/2025"),
        ("cpt", "99213"),
        ("billed", "$168.00"),
        ("account", "7730-22"),
    ]


def test_value_on_the_next_line_also_by_column() -> None:
    text = "Claim Number:\n  HB-25-1\n\nMember ID:        Date of service:\nXK-4410           01/02/2025\n"
    assert _pairs(text) == [("claim number", "HB-25-1"), ("member id", "XK-4410"), ("date of service", "01/02/2025")]


def test_prose_is_not_a_field() -> None:
    text = (
        "Dear Provider:\n\n"
        "We reviewed the claim and found that the records sent do not show the service was needed. You may\n"
        "appeal within 180 days of this notice, or call us at 9:00 a.m. on weekdays.\n"
        "March 14, 2025\n"
    )
    assert _pairs(text) == []


def test_a_value_in_prose_ends_with_its_sentence() -> None:
    assert _pairs("You owe: $168.00. To dispute, call Dr. Ames.") == [("you owe", "$168.00")]


def test_a_header_row_of_words_pairs_nothing() -> None:
    assert _pairs("Line  CPT  Description  Billed  Allowed  Status") == []


def test_fields_are_cached_and_carry_spans() -> None:
    doc = Doc(["page one", "Claim #: AB-77"])
    found = fields(doc)
    assert found is fields(doc)
    (field,) = found
    assert isinstance(field, Field)
    assert doc.text[field.label_span.start : field.label_span.end] == "Claim"
    assert doc.evidence(field.value_span.start, field.value_span.end).page == 2


def test_an_identifier_label_takes_a_value_that_starts_with_letters() -> None:
    # `GSH 4471 0093 55` is one identifier, not a field `GSH` = `4471 0093 55`.
    text = "  Member ID          QRT 4471 0093 55\n  DOS                2025/02/11\n"
    assert _pairs(text) == [("member id", "QRT 4471 0093 55"), ("dos", "2025/02/11")]


def test_an_exports_comment_lines_hold_fields() -> None:
    text = "# Acme Plan - line listing (export)\n# Remit date: 1/27/25   EFT trace: 0007188\n"
    assert _pairs(text) == [("remit date", "1/27/25"), ("eft trace", "0007188")]


def test_a_dot_leader_closed_by_a_colon() -> None:
    assert _pairs("MBR.......: QX-4410\nCHG.....:   2,100.00\n") == [("mbr", "QX-4410"), ("chg", "2,100.00")]
