"""Sections: fax cover sheets, page furniture, taglines and appeal-rights boilerplate (synthetic letters)."""

from __future__ import annotations

from denialops_router.domain.sections import is_boilerplate, section_at, sections
from denialops_router.domain.text import Doc

LETTER = (
    "04/01/2025 09:10   5550100   ACME CLAIMS        PAGE 01/02\n"
    "FAX COVER SHEET\nTo: Dr. Lee billing\nFax: 555-0140\nDate: 04/01/2025\nPages: 2 (including cover)\n\n"
    "04/01/2025 09:11   5550100   ACME CLAIMS        PAGE 02/02\n"
    "ACME HEALTH PLAN - NOTICE OF DENIAL\n"
    "Notice date: March 28, 2025\n\n"
    "We denied the claim for the MRI because no prior authorization was on file.\n\n"
    "ACME HEALTH PLAN - NOTICE OF DENIAL\n"
    "                                   Page 2 of 2\n"
    "YOUR RIGHT TO APPEAL\n"
    "You may appeal within 180 days of this notice. Call 555-0199.\n\n"
    "ATENCIÓN: si habla español, tiene a su disposición servicios gratuitos de asistencia lingüística.\n"
)


def _at(doc: Doc, text: str) -> str:
    return section_at(doc, doc.text.index(text))


def test_each_part_of_a_faxed_letter_gets_its_section() -> None:
    doc = Doc([LETTER])
    assert _at(doc, "Fax: 555-0140") == "fax_cover"
    assert _at(doc, "We denied the claim") == "decision"
    assert _at(doc, "Notice date") == "decision"
    assert _at(doc, "You may appeal within 180 days") == "appeal_rights"
    assert _at(doc, "ATENCIÓN") == "taglines"
    assert _at(doc, "Page 2 of 2") == "page_furniture"
    # A running header is the letter's the first time, furniture when printed again.
    second = doc.text.rindex("ACME HEALTH PLAN - NOTICE")
    assert not is_boilerplate(doc, doc.text.index("ACME HEALTH PLAN - NOTICE"))
    assert is_boilerplate(doc, second)
    assert sections(doc) is sections(doc)


def test_a_plain_letter_is_all_decision() -> None:
    doc = Doc(["Dear member,\n\nWe denied the claim because the service is excluded. Atención Administrada.\n"])
    assert sections(doc) == []
