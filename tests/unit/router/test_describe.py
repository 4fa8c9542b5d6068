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
        ("99999", None),
    ],
)
def test_family(code: str, words: str | None) -> None:
    assert family(code) == words


def _service(letter: str) -> str | None:
    doc = make_doc([letter])
    codes = [(m.start(), m.end()) for m in re.finditer(r"\b\d{5}\b", letter)]
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
