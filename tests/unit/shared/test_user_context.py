"""A case's user context holds only what every MongoDB-compatible server can store (else 422, not 500)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from denialops_intake.api import CreateCase
from denialops_shared.contracts.events import CaseCreated


@pytest.mark.parametrize(
    "context",
    [
        {"a\x00b": "x"},  # NUL ends a BSON field name
        {"tab\there": "x"},
        {"\x7f": "x"},
        {"$where": "x"},  # an operator, not a field
        {"billing.role": "x"},  # a path, not a field
        {"": "x"},
        {"role": "\udb2a"},  # a lone surrogate has no UTF-8 form
        {"\ud985x": "x"},
        {f"k{i}": "v" for i in range(33)},
        {"k" * 101: "v"},
        {"k": "v" * 1001},
    ],
)
def test_unstorable_context_is_refused_by_the_api_and_the_event(context: dict[str, str]) -> None:
    with pytest.raises(ValidationError):
        CreateCase(user_context=context)
    with pytest.raises(ValidationError):
        CaseCreated(tenant_id="t1", case_id="case-1", user_context=context)


def test_ordinary_context_is_kept_as_sent() -> None:
    context = {"role": "billing", "Team ID": "é-42 / north", "note": "line1\nline2"}
    assert CreateCase(user_context=context).user_context == context
    assert CaseCreated(tenant_id="t1", case_id="case-1", user_context=context).user_context == context
