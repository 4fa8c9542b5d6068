"""How facts are printed, and how an administrative denial is classified."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from denialops_llm_worker.domain import formatting as fmt
from denialops_llm_worker.domain.admin_kind import AdminKind, carc_number, classify_admin
from denialops_shared.contracts.artifacts import CaseFacts, DenialCode


def test_values_are_printed_in_one_style() -> None:
    assert fmt.date(dt.date(2025, 3, 6)) == "March 6, 2025"
    assert fmt.money(Decimal("1234.50")) == "$1,234.50"
    assert fmt.money(Decimal("0.00")) == "$0.00"
    assert fmt.text("  Ironwood Mutual ") == "Ironwood Mutual"
    assert fmt.due(None) == "as soon as possible"


@pytest.mark.parametrize("formatter", [fmt.date, fmt.money, fmt.text])
def test_missing_values_become_the_placeholder(formatter: object) -> None:
    assert callable(formatter)
    assert formatter(None) == fmt.UNKNOWN


def test_blank_text_is_missing() -> None:
    assert fmt.text("   ") == fmt.UNKNOWN
    assert fmt.join([]) == fmt.UNKNOWN


def test_denial_codes_are_labelled() -> None:
    assert fmt.denial_code(DenialCode(code="198", kind="carc", reason="Precertification exceeded")) == (
        "CARC 198 (Precertification exceeded)"
    )
    assert fmt.denial_code(DenialCode(code="N386", kind="rarc", reason="")) == "N386"


@pytest.mark.parametrize(("code", "number"), [("CO-29", "29"), ("CO 29", "29"), ("29", "29"), ("N386", "N386")])
def test_carc_number(code: str, number: str) -> None:
    assert carc_number(code) == number


@pytest.mark.parametrize(
    ("codes", "reason", "kind"),
    [
        ([("CO-29", "carc")], None, AdminKind.TIMELY_FILING),
        ([("18", "carc")], None, AdminKind.DUPLICATE),
        ([("N4", "rarc"), ("OA-23", "carc")], None, AdminKind.COORDINATION_OF_BENEFITS),
        ([("CO-109", "carc")], None, AdminKind.COORDINATION_OF_BENEFITS),
        ([], "Claim filed late, past the filing limit", AdminKind.TIMELY_FILING),
        ([], "Duplicate submission", AdminKind.DUPLICATE),
        ([], "Medicare is the primary payer", AdminKind.COORDINATION_OF_BENEFITS),
        ([("CO-45", "carc")], "Charge exceeds fee schedule", AdminKind.OTHER),
    ],
)
def test_admin_kind(codes: list[tuple[str, str]], reason: str | None, kind: AdminKind) -> None:
    facts = CaseFacts(
        denial_codes=[DenialCode(code=code, kind=k, reason="") for code, k in codes], denial_reason=reason
    )
    assert classify_admin(facts) is kind
