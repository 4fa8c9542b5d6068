"""The payer (the organisation that issued the document) and the provider, whatever sits at the top."""

from __future__ import annotations

import pytest

from denialops_router.domain.parties import find_payer, find_provider
from denialops_router.domain.scope import find_scope
from denialops_router.domain.text import make_doc


def _payer(letter: str) -> str | None:
    found = find_payer(make_doc([letter]))
    return found.value if found else None


@pytest.mark.parametrize(
    ("letter", "payer"),
    [
        # A provider's PM system or a clearinghouse prints its own name first; the payer is labelled.
        ("TallyPoint PM  |  ERA Posting Detail\nERA payer: Pinecrest Mutual Life & Health Co.    check 991\n",
         "Pinecrest Mutual Life & Health Co."),
        ("HARLOW CREEK GASTROENTEROLOGY - A/R NOTES\nIns: HAZELCREST HEALTH (Marketplace Silver 70)    Mbr ID: HZ-1\n",
         "Hazelcrest Health"),
        ("Medicare Summary Notice - Part B\n\nJANE ROE          Medicare Number 2WH5-C88-TJ19\n", "Medicare"),
        ("Amberlane Health Medicare Advantage (HMO)\nNOTICE OF DENIAL OF PAYMENT\n", "Amberlane Health"),
        ("Silverbirch Medicare Advantage\nNotice of denial\n", "Silverbirch Medicare Advantage"),
        ("PINNACLE BENEFIT ADMINISTRATORS, INC.\nThird-party administrator for the Kestrel Plan\n",
         "Pinnacle Benefit Administrators, Inc."),
        ("IRONWORKERS LOCAL 812 HEALTH & WELFARE FUND - ELIGIBILITY & CLAIMS\n2450 Warrenville Road\n",
         "Ironworkers Local 812 Health & Welfare Fund"),
        ("# Halcyon Reach Health\n\nYour request was denied.\n", "Halcyon Reach Health"),
        ("From: Quillmarsh Health Plan Provider Relations <pr@quillmarsh.example>\nSubject: claim\n",
         "Quillmarsh Health Plan"),
        # A hyphenated word is one word (`Co-op` is no lower-case word of a sentence).
        ("Bright Harbor Health Co-op\nIndividual & Family Plans  |  PO Box 2051\n", "Bright Harbor Health Co-op"),
        # A double or an en dash, like a single one, sets the document's title off from the name.
        ("Tidewater Choice Health -- Claim Edit Notification (Code Review)\n", "Tidewater Choice Health"),
        ("Oakline Health Plan \u2013 Notice of Denial\n", "Oakline Health Plan"),
        # Organisation words (`Solutions`, `Rx`) are no person's name, in capitals too.
        ("APEX SPECIALTY RX SOLUTIONS\nPharmacy Benefit Manager for Tri-River Health Alliance\n",
         "Apex Specialty RX Solutions"),
    ],
)  # fmt: skip
def test_payer(letter: str, payer: str) -> None:
    assert _payer(letter) == payer


def test_fax_header_and_addressee_are_not_the_payer() -> None:
    letter = (
        "MAR-20-2025 THU 09:41 AM   SILVERPINE UM DEPT   FAX NO. 505 555 0168   P. 01/03\n\nFAX COVER SHEET\n"
        "TO:        Tallgrass Home Health Services - Billing\nFROM:      Silverpine Community Health, Claims Unit\n"
    )
    assert _payer(letter) == "Silverpine Community Health"


def test_channel_letterhead_takes_the_brands_full_name_from_the_body() -> None:
    letter = (
        "Larkspur ProviderConnect  >  Appeals  >  Case LHA-PA-2025-004471\nCase status: CLOSED\n\n"
        "Sincerely,\nLarkspur Health Alliance - Appeals Department\n"
    )
    assert _payer(letter) == "Larkspur Health Alliance"


def test_a_person_heading_the_page_is_not_the_payer() -> None:
    assert _payer("AUGUSTIN PELLETIER-MOSS | Former member ID AMA 330912847\nAmberfield Health Plan\n") == (
        "Amberfield Health Plan"
    )


def _provider(letter: str) -> str | None:
    doc = make_doc([letter])
    payer = find_payer(doc)
    found = find_provider(doc, find_scope(doc), payer.value if payer else None)
    return found.value if found else None


@pytest.mark.parametrize(
    ("letter", "provider"),
    [
        ("Plan UM\nRequesting doctor: Dr. Colm Everhart, Cedarline Pediatric Endocrinology\n",
         "Cedarline Pediatric Endocrinology"),
        ("Plan UM\nOrdering provider:    Nadine Okafor-Lisle, MD, Birchmont Primary Care\n", "Birchmont Primary Care"),
        ("Plan\nBilling dentist:  Tallgrass Periodontics, 902 Hopewell Ave, Suite 2\n", "Tallgrass Periodontics"),
        ("LARKSPUR HEALTH PARTNERS   REMITTANCE\nPayee:        Coldwater Ear, Nose & Throat Associates\n",
         "Coldwater Ear, Nose & Throat Associates"),
        ("Plan\nFacility:  Fallbrook Rehabilitation Hospital, Admissions and Utilization Review\n",
         "Fallbrook Rehabilitation Hospital"),
        ("THORNBURY HEALTH PLAN *** PROVIDER REMIT ***\nPAYEE RIDGELINE SPORTS MEDICINE  TIN XX-XXX1187\n",
         "Ridgeline Sports Medicine"),
        ("HARLOW CREEK GASTROENTEROLOGY - A/R FOLLOW-UP WORKLIST NOTES\nIns: HAZELCREST HEALTH    Mbr ID: HZ-1\n",
         "Harlow Creek Gastroenterology"),
        ("CINDERFORD HEALTH PLAN - CLAIM NOTICE - to Maple Arch Counseling Associates\nClaim CH250714-80951\n",
         "Maple Arch Counseling Associates"),
        # A legal suffix after a comma is part of the name; a department after one is not.
        ("Acme Health Plan\nProvider: Prairie Sleep Diagnostics, LLC\n", "Prairie Sleep Diagnostics, LLC"),
        ("Acme Health Plan\nProvider: Prairie Sleep Diagnostics, Billing Office\n", "Prairie Sleep Diagnostics"),
        # Abbreviated labels of fixed-width reports.
        ("OAKHAVEN HEALTH PLAN\nBILL PROV.: RIVERBEND IMAGING LLC    NPI 1245570983\n", "Riverbend Imaging LLC"),
        # The referring hospital sent the patient on; the admitting facility is the claim's provider.
        ("Evergreen Health Plan\nReferring hospital: Mercy Lakes Hospital\n"
         "Admitting facility: Cedar Point Rehabilitation Institute\n", "Cedar Point Rehabilitation Institute"),
        ("Evergreen Health Plan\nReferring hospital: Mercy Lakes Hospital\n", "Mercy Lakes Hospital"),
    ],
)  # fmt: skip
def test_provider(letter: str, provider: str) -> None:
    assert _provider(letter) == provider


def test_payer_desks_and_member_addressees_are_not_providers() -> None:
    letter = (
        "Acme Health Plan - call summary\nCaller: Odalys, billing specialist, Oakmoss Pediatrics\n"
        "Representative: T. Brandvold, Provider Contact Center\nTo: Jane Roe\n"
    )
    assert _provider(letter) == "Oakmoss Pediatrics"


@pytest.mark.parametrize(
    ("letter", "payer"),
    [
        ("UNITED MEDICAL RESOURCES\nExplanation of Benefits\nPatient Name:  O'CONNOR, MARY E\n",
         "United Medical Resources"),
        ("From: Claims Department <claims@bluefin.example>\nTo: Dr. Alan Park\n\n"
         "Bluefin Health Plan has denied the claim for patient Lucy McAllister.\n", "Bluefin Health Plan"),
        ("Notice of Adverse Benefit Determination\nDate: 4/2/2025\nCigna Healthcare\n", "Cigna Healthcare"),
    ],
)  # fmt: skip
def test_titles_and_generic_senders_are_not_payers(letter: str, payer: str) -> None:
    assert _payer(letter) == payer


def test_a_sentence_over_an_address_like_line_is_no_addressee() -> None:
    letter = (
        "Bright Harbor Health Co-op\nPO Box 2051, Phoenix AZ 85001\n\nJerome Castillo\n2271 E. Saguaro Vista Rd\n\n"
        "We could not pay a claim from Valley Urgent Care of Mesa for your visit on\n"
        "12 Aug 2026 because your coverage had ended.\n"
    )
    assert _provider(letter) == "Valley Urgent Care of Mesa"


def test_a_payers_desk_heading_call_notes_is_not_the_provider() -> None:
    letter = (
        "COASTAL PLAINS HEALTH CO. - PROVIDER CONTACT CENTER - CALL NOTES\nQueue: Provider Claims\n\n"
        "01/06/2025 08:41:12  JRM  Call from Ana at Low Country Rehab Partners (prov billing).\n"
    )
    assert _provider(letter) == "Low Country Rehab Partners"


def test_provider_heading_a_provider_letters_address_block() -> None:
    letter = (
        "Acme Health Plan\nProvider Appeals Unit\nP.O. Box 100, Springfield, IL 62701\n\nMay 2, 2025\n\n"
        "Lakeview Podiatry Group\n400 Elm Street\nSpringfield, IL 62704\n\nRe: Claim AC-2025-99120\n"
    )
    assert _provider(letter) == "Lakeview Podiatry Group"
