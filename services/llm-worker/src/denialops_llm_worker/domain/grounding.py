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
from denialops_shared.contracts.dates import date_shapes


@dataclass(frozen=True)
class GroundingReport:
    ungrounded: list[str] = field(default_factory=list)
    checked: int = 0

    @property
    def grounded(self) -> bool:
        return not self.ungrounded


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
        dates |= {day for warning in deadlines.warnings for _, _, days in date_shapes(warning) for day in days}
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


def _parse_amount(match: re.Match[str]) -> int:
    return _cents(Decimal(match["value"].replace(",", "")))


# A check finds values in a text: (start, end, grounded) for each, in order and not overlapping.
_Check = Callable[[str], list[tuple[int, int, bool]]]


def _pattern_check(pattern: re.Pattern[str], is_grounded: Callable[[re.Match[str]], bool]) -> _Check:
    return lambda text: [(m.start(), m.end(), is_grounded(m)) for m in pattern.finditer(text)]


def _date_check(allowed: set[dt.date]) -> _Check:
    # Every day a date states counts (both ends of a range); a date that does not exist is not grounded.
    return lambda text: [(start, end, bool(days) and set(days) <= allowed) for start, end, days in date_shapes(text)]


def check_grounding(
    document: str, facts: CaseFacts, plan: ActionPlan | None = None, deadlines: Deadlines | None = None
) -> GroundingReport:
    """Report the codes, dates and amounts in `document` that the facts (or `plan`'s or `deadlines`' dates)
    do not hold."""
    amounts, dates, codes = _allowed_amounts(facts), _allowed_dates(facts, plan, deadlines), _allowed_codes(facts)
    checks: list[_Check] = [
        _pattern_check(_AMOUNT, lambda match: _parse_amount(match) in amounts),
        _date_check(dates),
        *(
            _pattern_check(pattern, lambda match: _normalise_code(match.group(match.lastindex or 0)) in codes)
            for pattern in _CODE_PATTERNS
        ),
    ]
    text = _mask(document, _fact_strings(facts))
    found: list[tuple[str, bool]] = []
    # Amounts, then dates, then codes: each value found is blanked once checked, so `$12345` or
    # `2025-02-03` is not read again as a CPT code.
    for check in checks:
        pieces: list[str] = []
        pos = 0
        for start, end, grounded in check(text):
            found.append((text[start:end].strip(), grounded))
            pieces += [text[pos:start], " "]
            pos = end
        text = "".join(pieces) + text[pos:]
    ungrounded = [value for value, grounded in found if not grounded]
    return GroundingReport(ungrounded=list(dict.fromkeys(ungrounded)), checked=len(found))
