"""How facts are written into generated text: one style for dates, amounts and codes.

Every generated document goes through these helpers so the grounding check can rely on one
format, and a missing value always becomes the same placeholder (never `None`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

from denialops_shared.contracts.artifacts import CaseFacts, DenialCode

UNKNOWN = "[Unknown - please provide]"
DISCLAIMER = "This is not legal or medical advice."


def text(value: str | None) -> str:
    return value.strip() if value and value.strip() else UNKNOWN


def date(value: dt.date | None) -> str:
    """`March 6, 2025`: unambiguous for US readers, unlike 03/06/2025."""
    return f"{value:%B} {value.day}, {value.year}" if value else UNKNOWN


def due(value: dt.date | None) -> str:
    """A step's due date; none means no deadline is known, which is a reason to hurry, not to wait."""
    return date(value) if value else "as soon as possible"


def level(name: str) -> str:
    """A review level as prose: `external_review` -> `external review`, `alj_hearing` -> `ALJ hearing`."""
    return name.replace("_", " ").replace("alj ", "ALJ ")


def money(value: Decimal | None) -> str:
    return f"${value:,.2f}" if value is not None else UNKNOWN


def denial_code(code: DenialCode) -> str:
    # A bare CARC number means nothing on its own in prose; the label also lets grounding find it.
    label = f"CARC {code.code}" if code.code.isdigit() else code.code
    return f"{label} ({code.reason})" if code.reason else label


def join(items: Iterable[str]) -> str:
    values = [item for item in items if item]
    return ", ".join(values) if values else UNKNOWN


def procedure_codes(facts: CaseFacts) -> str:
    return join([*facts.cpt_codes, *facts.hcpcs_codes])


def diagnosis_codes(facts: CaseFacts) -> str:
    return join(facts.icd10_codes)


def denial_codes(facts: CaseFacts) -> str:
    return join(denial_code(code) for code in facts.denial_codes)


def bullets(items: Iterable[str]) -> str:
    return "\n".join(f"- {item}" for item in items)


def checkboxes(items: Iterable[str]) -> str:
    return "\n".join(f"- [ ] {item}" for item in items)
