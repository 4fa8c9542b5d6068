"""Person names and the patient's role: labels, letters about someone else, addressees, tables."""

from __future__ import annotations

import pytest
from nameparser import HumanName

from denialops_router.domain.people import find_patient
from denialops_router.domain.person_names import display_name, same_person
from denialops_router.domain.scope import Scope
from denialops_router.domain.text import make_doc


@pytest.mark.parametrize(
    ("printed", "shown"),
    [
        ("FAIRWEATHER, ROLAND J", "Roland Fairweather"),
        ("MCDONALD, ANGUS", "Angus McDonald"),
        ("MARY O'BRIEN", "Mary O'Brien"),
        ("WOJCIK-HALE, THEODORA", "Theodora Wojcik-Hale"),
        ("Clementine Y. Abernathy-Soto (dependent 03)", "Clementine Abernathy-Soto"),
        ("Luz Marina Quintero", "Luz Marina Quintero"),
        ("SMITH, JOHN JR", "John Smith"),
        ("ESTRELLA J. OKONJO III", "Estrella Okonjo"),
        ("McCORMACK, FIONA R", "Fiona McCormack"),
        ("MacLEOD, ANGUS", "Angus MacLeod"),
        ("VAN DER BERG, OTTO", "Otto van der Berg"),
        ("Dr. Lucinda Ferreira-Holt, DMD", "Lucinda Ferreira-Holt"),
        ("DE LA CRUZ, MARIA", "Maria de la Cruz"),
    ],
)
def test_display_name(printed: str, shown: str) -> None:
    assert display_name(printed) == shown


@pytest.mark.parametrize(
    "printed", ["Member Services", "Lakemont Imaging Center", "Saltgrass Internal Medicine", "Ann", "Chat Transcript"]
)
def test_not_a_person(printed: str) -> None:
    assert display_name(printed) is None


def test_same_person_by_surname_and_first_name() -> None:
    assert same_person("Mr. Ferreira", "Anselmo Ferreira")
    assert not same_person("Ana Ferreira", "Anselmo Ferreira")


def _patient(letter: str) -> str | None:
    found = find_patient(make_doc([letter]), Scope())
    return found.value if found else None


def test_patient_label_beats_subscriber_label() -> None:
    letter = "ACME PLAN REMIT\nSubscriber:   PELLETIER, GASTON   Member ID QPH-4471-0093\nPatient:   PELLETIER, ANOUK\n"
    assert _patient(letter) == "Anouk Pelletier"


def test_letter_to_a_parent_names_the_child() -> None:
    letter = (
        "Harbor Plan\n\nVictor Abernathy\n12 Elm Street\nSpringfield, IL 62701\n\n"
        "Re: your daughter, Clementine Y. Abernathy\nEmployee ID: FHG-0040718\n\nDear Mr. Abernathy,\n"
    )
    assert _patient(letter) == "Clementine Abernathy"


def test_member_letter_addressee_is_the_patient() -> None:
    letter = (
        "TIDEPOOL HEALTH\nMarketplace Coverage\n\n05/09/2025\n\nEZRA KOWALCZYK\n807 Heron Bay Drive\n"
        "Clearwater, FL 33755\n"
    )
    assert _patient(letter) == "Ezra Kowalczyk"


def test_addressee_greeted_by_surname() -> None:
    letter = "Plan\nAppeals Unit\n\nJune 13, 2025\n\nFerdinand Lisowski\n\nDear Mr. Lisowski:\nWe reviewed the claim.\n"
    assert _patient(letter) == "Ferdinand Lisowski"


def test_bilingual_member_label() -> None:
    assert _patient("OSTRANDER HEALTH\nMember / Miembro:      Luz Marina Quintero\n") == "Luz Marina Quintero"


def test_denied_row_of_a_claims_table() -> None:
    letter = (
        "PLAN REMIT\n\n| Claim # | Patient | Member # | Billed | Paid | Codes |\n|---|---|---|---|---|---|\n"
        "| FH-0219-70113 | MARCHETTI, DOLORES | FHC-118-4470-1 | $168.00 | $90.18 | CO-45 |\n"
        "| FH-0224-70389 | NGATA, THADDEUS | FHC-226-0915-3 | $185.00 | $0.00 | PR-96 |\n"
    )
    assert _patient(letter) == "Thaddeus Ngata"


def test_clinician_in_to_field_is_not_the_patient() -> None:
    letter = "Plan UM\nTo:   Dr. Rafferty Coyle\nRe: request for MRI\n"
    assert _patient(letter) is None


def test_email_recipient_is_the_member() -> None:
    assert (
        _patient("MySunmoss | Message Center\nFrom:  Sunmoss Health\nTo:       Ottoline Barrows\n")
        == "Ottoline Barrows"
    )


def test_generational_suffix_dropped_and_insureds_dependent() -> None:
    # Labels give the patient as `First Last`: a generational suffix is not part of it.
    assert _patient("Acme Health Plan\nPatient Name: John A. Smith Jr.\nMember #: ACM-55512\n") == "John Smith"
    letter = "Acme Health Plan\nInsured's Name: Doe, Jane\nDependent: Timmy Doe (son)\nPolicy Number: POL 778812\n"
    assert _patient(letter) == "Timmy Doe"


def test_re_line_and_date_of_birth_name_the_patient() -> None:
    assert _patient("Acme Health Plan\nRe: Jane Q. Roe\nClaim AC-1\n") == "Jane Roe"
    assert _patient("Acme Health Plan\nWe reviewed the claim.\nJOHN DOE  DOB 01/02/1980  Acct 5512\n") == "John Doe"


@pytest.mark.parametrize(
    "printed",
    ["Jane Roe", "Van Morrison", "King Cole", "Judge Roe", "Ashgrove Vi", "Henry Viii", "Dean Smith", "BRIDGELINE"],
)
def test_plain_two_word_names_read_as_nameparser_reads_them(printed: str) -> None:
    # Plain two-word names skip nameparser; a title, suffix, prefix or roman numeral still goes through it.
    parsed = HumanName(printed)
    expected = f"{parsed.first} {parsed.last}" if parsed.first and parsed.last and not parsed.suffix else None
    assert display_name(printed) == expected


def test_capitals_with_a_mc_prefix_and_a_surname_particle_are_names() -> None:
    assert _patient("Acme Plan\nMember:      McCORMACK, FIONA R\nMember ID:   ACM 118 220\n") == "Fiona McCormack"
    assert _patient("Acme Plan\nSubscriber:  VAN DER BERG, OTTO\n") == "Otto van der Berg"


def test_addressee_with_a_second_address_line_before_the_city() -> None:
    letter = (
        "ACME STUDENT PLAN\nClaims Office, 1 College Road\n\nMarch 3, 2025\n\nDOYLE, PETRA\n"
        "Eastfield College, Mailbox 4410\nSpringfield IL 62701\n\nDear Petra,\n"
    )
    assert _patient(letter) == "Petra Doyle"


def test_member_label_after_a_sentence_of_call_notes() -> None:
    letter = "ACME PLAN CALL NOTES\n10:02:11  AB  Checked elig. Mbr: DOYLE, PETRA  ID ACM 4410 22.\n"
    assert _patient(letter) == "Petra Doyle"


def test_name_followed_by_its_member_id_in_a_chat() -> None:
    letter = (
        "Acme Health Plan - Member Chat Transcript\n[10:01] Agent: Your name and ID please?\n"
        "[10:02] Petra: Petra Doyle, ID ACM-4410-22.\n"
    )
    assert _patient(letter) == "Petra Doyle"


def test_a_claims_continuation_line_takes_the_patient_from_the_claims_first_line() -> None:
    letter = (
        "PLAN REMIT\n\nPATIENT NAME      CLAIM NUMBER     LN  PROC     BILLED     PAID  GRP/RSN\n"
        "----------------- ---------------- --  -----  -------- -------- -------\n"
        "CHO, LINDA        IW2609300127     01  99214    210.00   101.20  CO-45\n"
        "PRUITT, WALTER    IW2609300188     01  99213    165.00    73.40  CO-45\n"
        "                                   02  20610    310.00     0.00  CO-11\n"
    )
    assert _patient(letter) == "Walter Pruitt"


def test_patient_last_and_first_name_in_columns_of_their_own() -> None:
    letter = (
        "# Remittance line listing (export)\n"
        "claim_no,line,pat_last,pat_first,member_id,billed,paid,line_status\n"
        "PCH-00412,1,SANDOVAL,LUCIA,PCH-7719204-01,210.00,0.00,DENIED\n"
        "PCH-00437,1,BERGSTROM,NILS,PCH-6604418-00,150.00,76.30,PAID\n"
    )
    assert _patient(letter) == "Lucia Sandoval"


def test_a_name_split_by_the_paragraphs_wrap() -> None:
    letter = (
        "Plan portal > Secure messages\n\nHello, following up on our second-level appeal for patient Priya\n"
        "Venkataraman, member ID PHP-2093-66178, claim 26-0442-88173.\n"
    )
    assert _patient(letter) == "Priya Venkataraman"


def test_addressee_with_a_second_addressee_below() -> None:
    letter = (
        "NORTHWICK ASSURANCE HEALTH\nAppeals Review Unit\n\nJune 13, 2025\n\nFerdinand Lisowski-Amadi\n"
        "and Lanternfield University Hospital (provider representative)\n\nNOTICE OF FINAL INTERNAL APPEAL DECISION\n"
    )
    assert _patient(letter) == "Ferdinand Lisowski-Amadi"
