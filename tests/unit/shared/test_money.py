"""Amounts are exact Decimals in the models and plain JSON numbers on the wire."""

from __future__ import annotations

import json
from decimal import Decimal

from denialops_shared.contracts.artifacts import CaseFacts, EobAmounts


def test_amounts_travel_as_json_numbers_and_come_back_as_exact_cents() -> None:
    facts = CaseFacts(billed_amount=Decimal("1388.42"), patient_responsibility=Decimal("0"))
    wire = json.loads(facts.model_dump_json())
    assert wire["billed_amount"] == 1388.42
    assert wire["patient_responsibility"] == 0
    back = CaseFacts.model_validate_json(facts.model_dump_json())
    assert back.billed_amount == Decimal("1388.42")
    assert str(back.patient_responsibility) == "0.00"


def test_a_float_from_another_producer_is_read_to_the_cent() -> None:
    assert EobAmounts.model_validate({"paid": 0.1 + 0.2}).paid == Decimal("0.30")
    assert CaseFacts.model_json_schema()["properties"]["billed_amount"]["anyOf"][0] == {"type": "number"}
