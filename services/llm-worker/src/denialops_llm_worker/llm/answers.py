"""The shapes of the model's answers (structured outputs): strict, so the JSON Schema is exact."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

RefinableField = Literal[
    "payer_name",
    "plan_name",
    "plan_type",
    "member_id",
    "group_number",
    "claim_number",
    "patient_name",
    "provider_name",
    "provider_npi",
    "service_description",
    "denial_reason",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FactValue(_Strict):
    field: RefinableField
    value: str


class FactRefinement(_Strict):
    facts: list[FactValue]


class StepWording(_Strict):
    order: int
    detail: str


class Outlook(_Strict):
    likelihood: Literal["low", "medium", "high"]
    reason: str


class Composition(_Strict):
    summary: str
    steps: list[StepWording]
    letter_paragraph: str
    outlook: Outlook
