"""Date of service and date of denial read by role (labels, table columns, heading, prose)."""

from __future__ import annotations

import datetime as dt

import pytest

from denialops_router.domain.key_dates import find_key_dates
from denialops_router.domain.scope import find_scope
from denialops_router.domain.text import make_doc

D = dt.date


def key_dates(letter: str, pre_service: bool = False) -> tuple[dt.date | None, dt.date | None]:
    doc = make_doc([letter])
    service, issued = find_key_dates(doc, find_scope(doc), pre_service)
    return (service.mention.value if service else None, issued.mention.value if issued else None)


def test_labelled_roles_beat_distractors() -> None:
    letter = (
        "NORTHWIND HEALTH\n\nCOBRA notice mailed: 01/27/2025\nPrinted: 04/30/2025\nClaim received: 04/02/2025\n"
        "Date of birth: 01/19/1980\n"
        "Remit date: 04/21/2025\nDate of svc: 03/28/2025\nCheck date: 04/23/2025\n"
        "Denied CO-50: not medically necessary.\n"
    )
    assert key_dates(letter) == (D(2025, 3, 28), D(2025, 4, 21))


def test_the_first_day_not_certified_is_the_service_date() -> None:
    letter = (
        "CONCURRENT REVIEW NOTICE\nDate of notice: 08/08/2025\nAdmission date: 08/04/2025\n"
        "Days certified: 08/04/2025 through 08/08/2025\nDays not certified: 08/09/2025 and after\n"
    )
    assert key_dates(letter) == (D(2025, 8, 9), D(2025, 8, 8))


def test_a_range_gives_its_first_day() -> None:
    letter = "Statement date: June 2, 2025\nDates of service: May 12\u201314, 2025\nNot covered.\n"
    assert key_dates(letter) == (D(2025, 5, 12), D(2025, 6, 2))


def test_table_column_prefers_the_denied_row() -> None:
    letter = (
        "PROVIDER REMITTANCE ADVICE\nRemittance date: 02/26/2025\n\n"
        "| DOS        | Code  | Billed  | Paid   | Adj        |\n"
        "|------------|-------|---------|--------|------------|\n"
        "| 02/10/2025 | 99213 | 160.00  | 96.50  | CO-45      |\n"
        "| 02/12/2025 | 97110 | 95.00   | 0.00   | CO-50      |\n"
    )
    assert key_dates(letter) == (D(2025, 2, 12), D(2025, 2, 26))


def test_letterhead_cell_and_prose_service_date() -> None:
    letter = (
        "OAKHILL HEALTH PLAN | EXPLANATION OF BENEFITS | 2025-04-22 | NOT A BILL\n\n"
        "We reviewed the claim for the knee MRI performed on 2025-04-09 by Lakeview Imaging. "
        "Your coverage ended on 2025-03-31.\n"
    )
    assert key_dates(letter) == (D(2025, 4, 9), D(2025, 4, 22))


def test_the_letter_date_beats_an_earlier_levels_decision() -> None:
    letter = (
        "RIVERSTONE BENEFIT SERVICES\nAppeals Unit\n\n14 May 2025\n\nFINAL APPEAL DECISION\n"
        "Date of service:      02/03/2025\nFirst-level decision: 03/28/2025\nOriginal denial:      02/19/2025\n"
        "We upheld the denial.\n"
    )
    assert key_dates(letter) == (D(2025, 2, 3), D(2025, 5, 14))


def test_fax_cover_dates_are_the_transmissions() -> None:
    letter = (
        "03/24/2025 11:02    2485550100    CLAIMS SVCS    PAGE 01/02\n"
        "FACSIMILE COVER SHEET\nTo: Billing\nDate: 03/24/2025\nPages: 2\n"
        "This facsimile is confidential.\n\n"
        "03/24/2025 11:03    2485550100    CLAIMS SVCS    PAGE 02/02\n"
        "CLAIMS SERVICES\n\n21-MAR-2025\n\nNOTICE OF CLAIM DENIAL\nDate of service: 04-MAR-2025\n"
    )
    assert key_dates(letter) == (D(2025, 3, 4), D(2025, 3, 21))


def test_a_faxed_decision_with_no_other_date_is_dated_by_the_fax() -> None:
    letter = "EXPEDITED APPEAL DECISION\nFAX  -  07/20/2025 11:05  -  PAGES: 2\nThe denial is upheld.\n"
    assert key_dates(letter)[1] == D(2025, 7, 20)


def test_chat_timestamps_date_the_answer() -> None:
    letter = (
        "[05/16/2025 09:12] Clinic billing: our claim for 90837 on 05/06/2025, $210.00, was denied.\n"
        "[05/16/2025 11:47] Plan services: the denial is CO-4, the modifier is missing.\n"
    )
    assert key_dates(letter) == (D(2025, 5, 6), D(2025, 5, 16))


@pytest.mark.parametrize("pre_service", [True, False])
def test_pre_service_requests_have_no_service_date(pre_service: bool) -> None:
    letter = "Notice date: 07/15/2025\nRequested service date: 07/01/2025\nThe request is denied.\n"
    service, issued = key_dates(letter, pre_service=pre_service)
    assert issued == D(2025, 7, 15)
    assert service == (None if pre_service else D(2025, 7, 1))


def test_the_unpaid_row_of_a_statement_is_the_denied_one() -> None:
    letter = (
        "EXPLANATION OF BENEFITS\nStatement date: 03/06/2025\n\n"
        " Date of      Service                 Amount     Plan      Plan      You\n"
        " service                              billed     allowed   paid      owe\n"
        " 02/03/2025   Office visit            $245.00    $146.40   $116.40   $30.00\n"
        " 02/11/2025   MRI lumbar spine        $1,850.00  $0.00     $0.00     $0.00\n"
    )
    assert key_dates(letter) == (D(2025, 2, 11), D(2025, 3, 6))


def test_a_distractor_on_the_claim_line_is_not_the_service_date() -> None:
    letter = (
        "ACME MUTUAL\n\nJan. 21, 2025\n\nClaim No.: AM-2501-004471        Date received: 12/18/2024\n\n"
        "We reviewed the claim for services you received on 12/09/2024. We cannot pay it.\n"
    )
    assert key_dates(letter) == (D(2024, 12, 9), D(2025, 1, 21))


def test_a_label_running_on_from_a_sentence_is_named_by_its_last_phrase() -> None:
    letter = (
        "Account Notes Report    Run: 02/03/25 07:58\n"
        "01/24/25 16:40 SYS  ERA posted. Clm PR2501160447 DOS 1/6/25 DENIED.\n"
        "01/27/25 09:15 KMB  Reviewed denial; corrected claim due within 60 days of the EOP date (01/24/25).\n"
    )
    assert key_dates(letter) == (D(2025, 1, 6), D(2025, 1, 24))


def test_a_cover_sheet_known_by_its_page_count_alone() -> None:
    # OCR may lose the `FAX COVER SHEET` heading; the page count still names the cover.
    letter = (
        "MAR- 20-2025 THU 09:41 AM   UM DEPT   FAX NO. 505 555 0100   P. 01/03\n\nDATE: 03/20/2025\n"
        "TO: Home Health Billing\nPAGES: 3 (including this cover sheet)\nThe original was mailed 03/18/2025.\n"
        "CONFIDENTIALITY NOTICE: this facsimile is confidential.\n\n"
        "MAR- 20-2025 THU 09:42 AM   UM DEPT   FAX NO. 505 555 0100\n\nHEALTH PLAN\n\nMarch 18, 2025\n\n"
        "Dates of service:  02/03/2025 - 02/28/2025\n"
    )
    assert key_dates(letter) == (D(2025, 2, 3), D(2025, 3, 18))


def test_a_cover_sheet_named_in_the_letter_is_no_fax_cover() -> None:
    letter = (
        "RAVENSMOOR HEALTH\nEOP date: 01/24/2025\nDOS: 01/14/2025\n"
        "Send paper corrected claims with the correction cover sheet.\n"
    )
    assert key_dates(letter) == (D(2025, 1, 14), D(2025, 1, 24))


def test_a_hard_wrapped_sentence_names_the_service_date() -> None:
    letter = (
        "WESTBROOK HEALTH\n\nMay 30, 2025\n\n"
        "We reviewed the claim the clinic sent us for the vein procedure on your left\n"
        "leg on 7 May 2025, and we are not able to pay it.\n"
    )
    assert key_dates(letter) == (D(2025, 5, 7), D(2025, 5, 30))


def test_a_heading_date_with_its_weekday() -> None:
    letter = "ACME PLAN\n\nMonday, June 2, 2025\n\nWe denied the claim for services on 05/01/2025.\n"
    assert key_dates(letter) == (D(2025, 5, 1), D(2025, 6, 2))


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("Service Period", D(2025, 1, 1)),
        ("Incurred Date", D(2025, 1, 1)),
        ("Dates of Stay", D(2025, 1, 1)),
        ("Serv Date", D(2025, 1, 1)),
        ("Dt of Svc", D(2025, 1, 1)),
    ],
)
def test_service_label_spellings(label: str, expected: dt.date) -> None:
    letter = f"ACME PLAN\nLetter Date: 04/02/2025\nDate Received: 03/20/2025\n{label}: 01/01/2025 - 01/31/2025\n"
    assert key_dates(letter) == (expected, D(2025, 4, 2))


def test_the_noun_after_a_date_names_the_service() -> None:
    letter = "ACME PLAN\nJune 2, 2025\nWe reviewed your 05/03/2025 office visit and cannot pay it.\n"
    assert key_dates(letter) == (D(2025, 5, 3), D(2025, 6, 2))


def test_a_tall_letterhead_pushes_the_date_down() -> None:
    head = "".join(f"Line {i} of the letterhead\n" for i in range(16))
    letter = f"{head}\nJuly 9, 2025\n\nDear Ms. Ruiz,\nWe denied the claim for services on 06/02/2025.\n"
    assert key_dates(letter) == (D(2025, 6, 2), D(2025, 7, 9))


@pytest.mark.parametrize("label", ["Date mailed", "Mailing date", "Correspondence date"])
def test_letter_date_label_spellings(label: str) -> None:
    letter = f"ACME PLAN\nPrinted: 04/30/2025\n{label}: 04/21/2025\nDate of service: 03/28/2025\n"
    assert key_dates(letter) == (D(2025, 3, 28), D(2025, 4, 21))


def test_a_table_row_near_the_top_is_no_heading_date() -> None:
    letter = (
        "ACME PLAN - EXPLANATION OF BENEFITS\n\n"
        " Service              Billed      Paid      Date of service\n"
        " Office visit         $245.00     $0.00     02/10/2025\n\n"
        "This statement was issued on 03/06/2025.\n"
    )
    assert key_dates(letter) == (D(2025, 2, 10), D(2025, 3, 6))


def test_services_from_a_date_start_the_service() -> None:
    letter = "ACME PLAN\nJune 2, 2025\nThe claim for services from 01/05/2025 to 01/07/2025 is denied.\n"
    assert key_dates(letter) == (D(2025, 1, 5), D(2025, 6, 2))


def test_record_keys_and_bracketed_plurals_name_their_roles() -> None:
    letter = (
        "[claim]\npatient_dob=1980-04-02\nservice_from=2025-03-03\ntotal_charge=95.00\n"
        "[payer_response]\nstatus=REJECTED\nresponse_date=2025-03-10\n"
    )
    assert key_dates(letter) == (D(2025, 3, 3), D(2025, 3, 10))


def test_abbreviated_report_date_label() -> None:
    letter = "EDI SERVICES - PAYER RESPONSE REPORT\nRPT DT 04/22/2025 06:05   FILE X1\nDOB 01/02/1970\nDOS 04/01/2025\n"
    assert key_dates(letter) == (D(2025, 4, 1), D(2025, 4, 22))


def test_date_of_services_with_a_bracketed_plural() -> None:
    letter = "ACME PLAN\nMay 2, 2025\nClaim received:      April 20, 2025\nDate(s) of service:  April 9, 2025\n"
    assert key_dates(letter) == (D(2025, 4, 9), D(2025, 5, 2))


def test_an_indented_wrapped_line_goes_on_from_the_line_above() -> None:
    letter = (
        "Plan chat\n[10:02] Agent: I see the claim for your visit. The EOB is dated\n"
        "        April 24, 2025, and the service was on 04/11/2025.\n"
    )
    assert key_dates(letter) == (D(2025, 4, 11), D(2025, 4, 24))


@pytest.mark.parametrize(
    "heading",
    ["April 3, 2025 / 3 de abril de 2025", "the 3rd of April 2025"],
)
def test_heading_dates_in_two_languages_or_written_out(heading: str) -> None:
    letter = f"ACME PLAN\n100 Main St\n\n{heading}\n\nDear Member,\nWe denied the claim for services on 03/01/2025.\n"
    assert key_dates(letter) == (D(2025, 3, 1), D(2025, 4, 3))


def test_a_message_reports_on_a_notice_its_text_dates() -> None:
    # Call notes are dated when they were taken; the EOP they report on is dated in their text.
    letter = (
        "PLAN CONTACT CENTER - CALL NOTES\n"
        "02/03/2025 08:41:12  AB  Caller asking re denied clm 25-001. DOS 01/06/25.\n"
        "02/03/2025 08:44:10  AB  EOP dated 01/20/25: allowed $0.00, CO-29.\n"
    )
    assert key_dates(letter) == (D(2025, 1, 6), D(2025, 1, 20))


def test_an_appeal_decided_in_a_thread_is_dated_by_its_decision() -> None:
    letter = (
        "Provider Portal > Secure Messages\n"
        "[03/18/2025 09:42 AM] Billing: where does our appeal stand? The claim was denied on 01/10/2025.\n"
        "[03/19/2025 02:15 PM] Appeals: the appeal was decided on 03/09/2025 and the denial was upheld.\n"
        "Thread status: CLOSED by provider 03/20/2025\n"
    )
    assert key_dates(letter)[1] == D(2025, 3, 9)


def test_a_letter_dated_at_its_head_keeps_its_date() -> None:
    # Not a message: the prose date is an earlier level's.
    letter = "ACME PLAN\n\nMarch 20, 2025\n\nDear Member,\nYour claim was denied on 01/10/2025. We uphold the denial.\n"
    assert key_dates(letter)[1] == D(2025, 3, 20)
