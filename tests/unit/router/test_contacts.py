"""The next step's phone and fax, parsed with phonenumbers and chosen by what the letter says they are for."""

from __future__ import annotations

from denialops_router.domain.contacts import find_contacts
from denialops_router.domain.text import make_doc


def _contact(letter: str, final: bool = False) -> tuple[str | None, str | None]:
    phone, fax, _ = find_contacts(make_doc([letter]), final)
    return (phone.value if phone else None), (fax.value if fax else None)


def test_leading_one_kept_extension_and_fax_cue() -> None:
    letter = "To appeal, call 1-800-555-0142 ext. 204 or fax a written request to our Appeals Unit at (800) 555-0143."
    assert _contact(letter) == ("18005550142", "8005550143")


def test_vanity_number_is_read_through_its_letters() -> None:
    assert _contact("To request a reconsideration call 1-888-4MY-PLAN.")[0] == "18884697526"
    assert _contact("To appeal, call 1-800-APPEALS (TTY 711).")[0] == "18002773257"


def test_invalid_numbers_and_identifiers_are_not_numbers() -> None:
    letter = "Reference ASH-REC-25-0428-0093. To appeal call 123-456-7890 or 617-555-0101."
    assert _contact(letter)[0] == "6175550101"


def test_tty_and_other_purposes_lose() -> None:
    letter = (
        "Member Services 1-877-555-0160 (TTY 711).\nCall the Peer Review Line, 888-555-0113, for a peer-to-peer.\n"
        "To appeal, call 888-555-0114 or fax 888-555-0117. TTY 711.\n"
    )
    assert _contact(letter) == ("8885550114", "8885550117")


def test_a_fax_cue_in_another_sentence_does_not_count() -> None:
    letter = "We only take corrected claims through the portal, not by fax. If you need a person, call 888-555-0139."
    assert _contact(letter) == ("8885550139", None)


def test_fax_cover_sheet_numbers_are_not_the_next_step() -> None:
    letter = (
        "FAX COVER SHEET\nTo:       Greystone Internal Medicine\nFax:      248-555-0140\nFrom:     Eligibility Unit\n"
        "Phone:    248-555-0111\n\nYou may ask for a review within 180 days. Call 248-555-0111 or fax 248-555-0113.\n"
    )
    assert _contact(letter) == ("2485550111", "2485550113")


def test_final_decision_points_to_the_outside_body() -> None:
    letter = (
        "Questions about this letter: Gullwing Appeals 843-555-0110.\n\nThis is our final decision on your appeal. "
        "You may ask the Department of Insurance for an external review. Consumer Services: 1-800-555-0177.\n"
    )
    assert _contact(letter, final=True)[0] == "18005550177"


def test_every_printed_shape_of_a_number_and_no_piece_of_a_longer_token() -> None:
    for printed, digits in (
        ("+1 212-555-0100", "12125550100"),
        ("+1(212)555-0100", "12125550100"),
        ("1 (212) 555-0100", "12125550100"),
        ("1.212.555.0100", "12125550100"),
        ("(212)555-0100", "2125550100"),
        ("212.555.0100 x 22", "2125550100"),
        ("1-888-MEMBERS", "18886362377"),
        ("(212) 555-0100\n", "2125550100"),
    ):
        assert _contact(f"To appeal call {printed}")[0] == digits, printed
    for token in ("ID-212-555-0100", "X212-555-0100", "212-555-01001", "2025-555-0100-7", "12345 555-0100"):
        assert _contact(f"To appeal call {token} today.")[0] is None, token


def test_the_paragraphs_heading_names_a_numbers_purpose() -> None:
    letter = (
        "Peer-to-peer discussion\nThe surgeon may discuss this decision with the reviewer. Call Clinical Review\n"
        "Services at 1-800-555-0120 within 14 days of this letter to schedule.\n\n"
        "How to appeal:\n  Write to: Acme Appeals, PO Box 1, Acme MN 55440\n"
        "  Hours 8 a.m. - 5 p.m. CT\n  Phone: (612) 555-0127\n"
    )
    assert _contact(letter)[0] == "6125550127"


def test_an_expedited_appeals_line_is_no_edi_line() -> None:
    letter = (
        "You may appeal this decision within 180 days.\n  Expedited Appeals:  phone 1-888-555-0196\n\n"
        "Member Services: 1-800-555-0190\nEDI help: 1-800-555-0191\n"
    )
    assert _contact(letter)[0] == "18885550196"


def test_the_civil_rights_notices_numbers_are_not_the_next_step() -> None:
    letter = (
        "How to file an appeal:\n  Write to:  Acme Health, PO Box 3, Boise ID 83731\n"
        "  Call:      1-800-555-0191 (Member Appeals, 7 a.m. - 6 p.m. MT)\n  Fax:       1-800-555-0192\n\n"
        "If you believe we discriminated against you, you can file a grievance with our Civil Rights Coordinator,\n"
        "phone 1-800-555-0197, fax 1-800-555-0198.\n"
    )
    assert _contact(letter) == ("18005550191", "18005550192")


def test_an_attn_line_of_a_mailing_address_is_no_cover_sheet_header() -> None:
    letter = (
        "ACME HEALTH\n" + "A line of the letter.\n" * 20 + "For claim status questions, fax 800-555-0100.\n\n"
        "Send your appeal to:\n  Acme Health\n  Attn: Member Appeals\n  PO Box 3, Boise ID 83731\n  Fax: 800-555-0192\n"
    )
    assert _contact(letter)[1] == "8005550192"
