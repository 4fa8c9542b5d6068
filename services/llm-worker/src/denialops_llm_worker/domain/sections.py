"""Markdown building blocks every generated document shares, so each is written once."""

from __future__ import annotations

from collections.abc import Iterable

from denialops_llm_worker.domain import formatting as fmt

_REFERENCE_ROWS = (
    ("Patient", "patient_name"),
    ("Member ID", "member_id"),
    ("Group number", "group_number"),
    ("Health plan", "payer_name"),
    ("Claim number", "claim_number"),
    ("Provider", "provider_name"),
    ("Provider NPI", "provider_npi"),
    ("Service", "service_description"),
    ("Date of service", "date_of_service"),
    ("Date of denial", "date_of_denial"),
    ("Procedure codes (CPT/HCPCS)", "procedure_codes"),
    ("Diagnosis codes (ICD-10)", "diagnosis_codes"),
    ("Denial codes", "denial_codes"),
    ("Billed amount", "billed_amount"),
    ("Appeal deadline", "deadline"),
)


def case_reference(context: dict[str, str]) -> str:
    """The case's key facts as bullets, from its `fact_context` (worked out once per document pack)."""
    return fmt.bullets(f"**{label}:** {context[key]}" for label, key in _REFERENCE_ROWS)


def section(heading: str, body: str) -> str:
    return f"## {heading}\n\n{body.strip()}\n"


def assumptions_section(assumptions: Iterable[str]) -> str:
    items = list(assumptions) or ["No assumptions beyond the facts in the letter."]
    return section("Assumptions", fmt.bullets(items))


def disclaimer_footer(extra: Iterable[str] = ()) -> str:
    lines = [fmt.DISCLAIMER, *(line for line in extra if line != fmt.DISCLAIMER)]
    return "---\n\n" + "\n".join(f"_{line}_" for line in lines) + "\n"


def document(title: str, *parts: str) -> str:
    """Title, then the parts separated by blank lines; empty parts are skipped."""
    body = "\n\n".join(part.strip() for part in parts if part.strip())
    return f"# {title}\n\n{body}\n"
