"""Grounding (SPEC 4.7): every code, date and amount in a generated text must come from the facts.

Verbatim fact strings (IDs, names, phone numbers, addresses, the denial reason...) are masked first,
so an ID or a ZIP code is never mistaken for a code; what is left must match the facts, the action plan's
own dates (its as-of date and the due dates derived from the deadline) or the deadline engine's.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from denialops_llm_worker.domain.admin_kind import carc_number
from denialops_shared.contracts.artifacts import ActionPlan, CaseFacts, Deadlines


@dataclass(frozen=True)
class GroundingReport:
    ungrounded: list[str] = field(default_factory=list)
    checked: int = 0

    @property
    def grounded(self) -> bool:
        return not self.ungrounded


_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_MONTH = r"(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>\d{4})"

_DATE_PATTERNS = (
    re.compile(rf"\b{_MONTH}\s+{_DAY},?\s+{_YEAR}\b", re.I),
    re.compile(rf"\b{_DAY}\s+{_MONTH},?\s+{_YEAR}\b", re.I),
    re.compile(r"\b(?P<year>\d{4})[-/.](?P<month>\d{1,2})[-/.](?P<day>\d{1,2})\b"),
    # US order: 03/06/2025, 12-20-2024, 3/6/25.
    re.compile(r"\b(?P<month>\d{1,2})[-/.](?P<day>\d{1,2})[-/.](?P<year>\d{4}|\d{2})\b"),
)

_AMOUNT = re.compile(r"\$\s?(?P<value>\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?|\d+(?:\.\d{1,2})?)")

# `_START`/`_END` keep a piece of a longer token (the `M54` of `M54.16`, the `M0` of `A00.M0`) from being
# read as a code of its own.
_START = r"(?<![\w.])"
_END = r"\b(?!\.\w)"
_CODE_PATTERNS = (
    re.compile(rf"{_START}(?:CO|PR|OA|PI|CR)[ -]?\d{{1,3}}{_END}"),  # CARC with group code
    re.compile(rf"\b(?:CARC|[Rr]eason code)\s*#?\s*(\d{{1,3}}){_END}"),  # bare CARC, only when labelled
    re.compile(rf"{_START}(?:MA|[MN])\d{{1,3}}{_END}"),  # RARC
    re.compile(rf"{_START}[A-Z]\d[0-9A-Z](?:\.?[0-9A-Z]{{1,4}})?{_END}"),  # ICD-10 (dot optional), HCPCS
    re.compile(rf"{_START}\d{{4}}[0-9FTU]{_END}(?!\s+days\b)"),  # CPT (and category II/III), not a day count
)


def _normalise_code(code: str) -> str:
    code = code.strip().upper().replace(".", "")
    return re.sub(r"^(CO|PR|OA|PI|CR)[ -]?(?=\d)", r"\1-", code)


def _allowed_codes(facts: CaseFacts) -> set[str]:
    codes = {*facts.cpt_codes, *facts.hcpcs_codes, *facts.icd10_codes}
    for denial in facts.denial_codes:
        codes.add(denial.code)
        if denial.kind == "carc":
            number = carc_number(denial.code)
            codes.add(number)
            if denial.group:
                codes.add(f"{denial.group}-{number}")
    return {_normalise_code(code) for code in codes}


def _allowed_dates(facts: CaseFacts, plan: ActionPlan | None, deadlines: Deadlines | None) -> set[dt.date]:
    dates = {facts.date_of_service, facts.date_of_denial, facts.appeal_deadline}
    if plan is not None:
        dates |= {plan.timeline.as_of, plan.timeline.appeal_deadline, *(s.due_date for s in plan.steps)}
    if deadlines is not None:
        # The deadline engine's dates: each level's, and those its warnings compare (a rule's date).
        dates |= {level.filing.due for level in deadlines.levels}
        dates |= {_parse_date(m) for warning in deadlines.warnings for p in _DATE_PATTERNS for m in p.finditer(warning)}
    return {d for d in dates if d is not None}


def _cents(value: Decimal) -> int:
    return int((value * 100).to_integral_value())


def _allowed_amounts(facts: CaseFacts) -> set[int]:
    amounts = (facts.billed_amount, facts.allowed_amount, facts.paid_amount, facts.patient_responsibility)
    # Rounded exactly as documents print them (`formatting.money`), so float noise cannot differ.
    return {_cents(Decimal(f"{a:.2f}")) for a in amounts if a is not None}


def _fact_strings(facts: CaseFacts) -> Iterator[str | None]:
    contact = facts.appeal_contact
    yield from (
        facts.payer_name,
        facts.plan_name,
        facts.plan_type,
        facts.member_id,
        facts.group_number,
        facts.claim_number,
        facts.patient_name,
        facts.provider_name,
        facts.provider_npi,
        facts.service_description,
        facts.denial_reason,
        contact.phone,
        contact.fax,
        contact.address,
    )
    # An address is often rewrapped or shortened; its parts (`PO Box 71208`, the ZIP) still count.
    yield from (contact.address or "").replace("\n", ",").split(",")
    for denial in facts.denial_codes:
        yield denial.reason
        yield denial.description
    yield from facts.missing_information
    yield from facts.assumptions


@functools.lru_cache(maxsize=256)
def _mask_pattern(values: tuple[str, ...]) -> re.Pattern[str]:
    # One alternation, longest first, so a value that contains a shorter one is removed whole. Every
    # document of a case is checked against the same facts: the compiled pattern is reused for them.
    return re.compile(rf"(?<![\w.])(?:{'|'.join(map(re.escape, values))})(?![\w]|\.\w)")


def _mask(text: str, values: Iterable[str | None]) -> str:
    """Blank out whole occurrences of the facts' own strings, never a piece of a longer token."""
    distinct = sorted({v.strip() for v in values if v and v.strip()}, key=lambda v: (-len(v), v))
    return _mask_pattern(tuple(distinct)).sub(" ", text) if distinct else text


def _parse_date(match: re.Match[str]) -> dt.date | None:
    raw_month = match["month"]
    month = int(raw_month) if raw_month.isdigit() else _MONTHS[raw_month.lower()]
    year = int(match["year"])
    if year < 100:
        year += 2000
    try:
        return dt.date(year, month, int(match["day"]))
    except ValueError:
        return None


def _parse_amount(match: re.Match[str]) -> int:
    return _cents(Decimal(match["value"].replace(",", "")))


def check_grounding(
    document: str, facts: CaseFacts, plan: ActionPlan | None = None, deadlines: Deadlines | None = None
) -> GroundingReport:
    """Report the codes, dates and amounts in `document` that the facts (or `plan`'s or `deadlines`' dates)
    do not hold."""
    amounts, dates, codes = _allowed_amounts(facts), _allowed_dates(facts, plan, deadlines), _allowed_codes(facts)
    checks: list[tuple[re.Pattern[str], Callable[[re.Match[str]], bool]]] = [
        (_AMOUNT, lambda match: _parse_amount(match) in amounts),
        *((pattern, lambda match: _parse_date(match) in dates) for pattern in _DATE_PATTERNS),
        *(
            (pattern, lambda match: _normalise_code(match.group(match.lastindex or 0)) in codes)
            for pattern in _CODE_PATTERNS
        ),
    ]
    text = _mask(document, _fact_strings(facts))
    found: list[tuple[str, bool]] = []
    # Amounts, then dates, then codes: each value found is blanked (in the same pass that checks it)
    # so `$12345` or `2025-02-03` is not read again as a CPT code.
    for pattern, is_grounded in checks:

        def check_and_blank(match: re.Match[str], is_grounded: Callable[[re.Match[str]], bool] = is_grounded) -> str:
            found.append((match.group().strip(), is_grounded(match)))
            return " "

        text = pattern.sub(check_and_blank, text)
    ungrounded = [value for value, grounded in found if not grounded]
    return GroundingReport(ungrounded=list(dict.fromkeys(ungrounded)), checked=len(found))
