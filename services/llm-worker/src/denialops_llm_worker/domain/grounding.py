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
from denialops_shared.contracts.codes import (
    CARC_REASON,
    CPT,
    GROUPED_CARC,
    HCPCS,
    ICD10,
    LABELLED_CARC,
    RARC,
    WORDED_CARC,
    normalise_code,
)
from denialops_shared.contracts.dates import date_shapes


@dataclass(frozen=True)
class GroundingReport:
    ungrounded: list[str] = field(default_factory=list)
    checked: int = 0

    @property
    def grounded(self) -> bool:
        return not self.ungrounded


_AMOUNT = re.compile(r"\$\s?(?P<value>\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?|\d+(?:\.\d{1,2})?)")

# Code shapes come from the shared grammar, in this order: a grouped CARC before the RARC/ICD shapes it
# contains, HCPCS before ICD-10 (`J1885` has both shapes), CPT last.
_CODE_PATTERNS = (GROUPED_CARC, WORDED_CARC, LABELLED_CARC, RARC, HCPCS, ICD10, CPT)


def _codes_of(match: re.Match[str]) -> list[str]:
    """The codes a match names: the whole match, a worded CARC's group and reason, each of a labelled list."""
    if match.re is WORDED_CARC:
        return [normalise_code(f"{match.group(1)}-{match.group(2)}")]
    if match.re is LABELLED_CARC:
        return [normalise_code(item) for item in re.findall(CARC_REASON, match.group(1), re.IGNORECASE)]
    return [normalise_code(match.group())]


def _allowed_codes(facts: CaseFacts) -> set[str]:
    codes = {*facts.cpt_codes, *facts.hcpcs_codes, *facts.icd10_codes}
    for denial in facts.denial_codes:
        codes.add(denial.code)
        if denial.kind == "carc":
            number = carc_number(denial.code)
            codes.add(number)
            if denial.group:
                codes.add(f"{denial.group}-{number}")
    return {normalise_code(code) for code in codes}


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
    # Each value checks the character before it after its first character (`(?<![\w.].)`; values are
    # stripped, so that one is never a newline): the pattern then starts with literals, and sre skips to
    # the positions holding a value's first character instead of trying the lookbehind at every one.
    alternatives = (rf"{re.escape(v[0])}(?<![\w.].){re.escape(v[1:])}" for v in values)
    return re.compile(rf"(?:{'|'.join(alternatives)})(?![\w]|\.\w)")


def _mask_values(values: Iterable[str | None]) -> tuple[str, ...]:
    """The distinct fact strings to blank out, longest first (see `_mask_pattern`)."""
    return tuple(sorted({v.strip() for v in values if v and v.strip()}, key=lambda v: (-len(v), v)))


def _parse_amount(match: re.Match[str]) -> int:
    return _cents(Decimal(match["value"].replace(",", "")))


# A check finds values in a text: (start, end, grounded) for each, in order and not overlapping.
_Check = Callable[[str], list[tuple[int, int, bool]]]


def _pattern_check(pattern: re.Pattern[str], is_grounded: Callable[[re.Match[str]], bool]) -> _Check:
    return lambda text: [(m.start(), m.end(), is_grounded(m)) for m in pattern.finditer(text)]


def _date_check(allowed: set[dt.date]) -> _Check:
    # Every day a date states counts (both ends of a range); a date that does not exist is not grounded.
    return lambda text: [(start, end, bool(days) and set(days) <= allowed) for start, end, days in date_shapes(text)]


class Grounding:
    """What a case's documents may hold (its codes, dates, amounts and fact strings), worked out once
    and checked against each of the case's documents."""

    def __init__(self, facts: CaseFacts, plan: ActionPlan | None = None, deadlines: Deadlines | None = None) -> None:
        amounts, dates, codes = _allowed_amounts(facts), _allowed_dates(facts, plan, deadlines), _allowed_codes(facts)
        self._checks: list[_Check] = [
            _pattern_check(_AMOUNT, lambda match: _parse_amount(match) in amounts),
            _date_check(dates),
            *(_pattern_check(pattern, lambda match: set(_codes_of(match)) <= codes) for pattern in _CODE_PATTERNS),
        ]
        values = _mask_values(_fact_strings(facts))
        self._mask = _mask_pattern(values) if values else None

    def check(self, document: str) -> GroundingReport:
        """Report the codes, dates and amounts in `document` that the case does not hold."""
        # Verbatim fact strings are blanked out whole first, never a piece of a longer token.
        text = self._mask.sub(" ", document) if self._mask is not None else document
        found: list[tuple[str, bool]] = []
        # Amounts, then dates, then codes: each value found is blanked once checked, so `$12345` or
        # `2025-02-03` is not read again as a CPT code.
        for check in self._checks:
            pieces: list[str] = []
            pos = 0
            for start, end, grounded in check(text):
                found.append((text[start:end].strip(), grounded))
                pieces += [text[pos:start], " "]
                pos = end
            text = "".join(pieces) + text[pos:]
        ungrounded = [value for value, grounded in found if not grounded]
        return GroundingReport(ungrounded=list(dict.fromkeys(ungrounded)), checked=len(found))


def check_grounding(
    document: str, facts: CaseFacts, plan: ActionPlan | None = None, deadlines: Deadlines | None = None
) -> GroundingReport:
    """Report the codes, dates and amounts in `document` that the facts (or `plan`'s or `deadlines`' dates)
    do not hold."""
    return Grounding(facts, plan, deadlines).check(document)
