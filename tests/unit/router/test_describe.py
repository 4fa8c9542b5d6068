"""The service in words and the denial reason in the letter's own words."""

from __future__ import annotations

import re

import pytest

from denialops_router.domain.describe import denial_reason, service_description
from denialops_router.domain.procedure_families import family
from denialops_router.domain.scope import Scope
from denialops_router.domain.text import make_doc


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("70553", "MRI of the brain"),
        ("74177", "CT of the abdomen and pelvis"),
        ("00840", "anesthesia"),
        ("45378", "colonoscopy"),
        ("81415", "exome sequencing"),
        ("E0601", "CPAP device"),
        ("D2740", "dental filling or crown"),
        ("J3301", "injectable drug"),
        ("20610", "joint injection or aspiration"),
        ("T1030", "home nursing visit"),
        ("99999", None),
    ],
)
def test_family(code: str, words: str | None) -> None:
    assert family(code) == words


def _service(letter: str) -> str | None:
    doc = make_doc([letter])
    codes = [(m.start(), m.end()) for m in re.finditer(r"\b(?:\d{5}|[A-Z]\d{4})\b", letter)]
    return service_description(doc, Scope(), codes)[0]


def test_service_field_beats_code_family() -> None:
    letter = "Plan UM\nService requested:  Proton beam radiation therapy, CPT 77525 (complex)\nDecision: denied\n"
    assert _service(letter) == "Proton beam radiation therapy"


def test_table_header_is_not_a_description_but_its_column_is() -> None:
    letter = (
        "PLAN EOB\n\n  Service        Billed    Allowed   Paid\n  Knee injection $210.00   $0.00     $0.00   DENIED\n"
    )
    assert _service(letter) == "Knee injection"


def test_bare_code_line_says_what_kind_of_service() -> None:
    assert _service("REMIT\nCLAIM 1  70553  1890.00  0.00  CO-197\n") == "MRI of the brain"


def test_request_for_in_prose() -> None:
    letter = "Dear member,\nWe reviewed your request for a power wheelchair. It was denied.\n"
    assert _service(letter) == "a power wheelchair"


def test_revenue_line_of_an_inpatient_stay() -> None:
    letter = "Claim for your inpatient admission.\nLine  Rev  Description\n1  0120  R&B semi-private  4 days\n"
    described = _service(letter) or ""
    assert "inpatient" in described


def test_denial_reason_skips_appeal_rights_boilerplate() -> None:
    letter = (
        "If you disagree because you think this is wrong, you may appeal.\n\n"
        "We denied the claim because the service was not medically necessary.\n"
    )
    reason, _ = denial_reason(make_doc([letter]), Scope())
    assert reason == "We denied the claim because the service was not medically necessary."


@pytest.mark.parametrize(
    ("letter", "words"),
    [
        # The code's own bracket: the words before it, not a dosage or a second code after it.
        (
            "Claim 1, DOS 05/12/2026 (botulinum toxin injection, CPT 64615 with J0585 x 155 units).\n",
            "botulinum toxin injection",
        ),
        ("We reviewed the claim (arthroscopic meniscectomy, CPT 29881 x 1 unit) and cannot pay it.\n", "arthroscopic"),
        # A bracket holding only the code follows the service's noun phrase, even across a line break.
        ("The claim was for a laparoscopic cholecystectomy\n(CPT 47562), which we do not cover.\n", "laparoscopic"),
        ("Your doctor asked us to approve a total knee replacement, right knee (CPT 27447).\n", "knee replacement"),
        # An item line that ends with its code, standing on its own under a lead-in.
        ("We denied the following item:\n\n   Glucose monitor receiver - HCPCS E2103\n\nWhy\n", "Glucose monitor"),
        # A date field's bracket can name the service (`03/03/2025 - 03/14/2025 (6 RN home visits, T1030)`).
        ("Service dates:   03/03/2025 - 03/14/2025 (6 RN home visits, HCPCS T1030)\n", "RN home visits"),
    ],
)
def test_the_words_beside_a_billed_code_in_prose(letter: str, words: str) -> None:
    assert words in (_service(letter) or "")


def test_words_on_the_next_line_or_in_running_prose_are_not_the_code_item() -> None:
    # The code ends a line of running prose, not an item; the heading after an item line is not its words.
    prose = "Dear member,\nwe could not pay the claim your doctor sent us last month, CPT 99214\nas a duplicate.\n"
    assert _service(prose) == "office visit"
    assert _service("CLAIM 1  70553\nWhy we decided this\n") == "MRI of the brain"


def test_a_skilled_nursing_stay_is_a_care_setting() -> None:
    letter = "We will not pay for the days of your skilled nursing facility stay after day 100.\n"
    assert _service(letter) == "skilled nursing services"
