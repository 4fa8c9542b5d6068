"""Which administrative problem an `admin_denial` is about: the plan steps and the letter differ."""

from __future__ import annotations

import re
from enum import StrEnum

from denialops_shared.contracts.artifacts import CaseFacts


class AdminKind(StrEnum):
    TIMELY_FILING = "timely_filing"
    DUPLICATE = "duplicate"
    COORDINATION_OF_BENEFITS = "coordination_of_benefits"
    OTHER = "other"


# CARC reason numbers (group prefix removed) that name the problem outright.
_BY_CARC: dict[str, AdminKind] = {
    "29": AdminKind.TIMELY_FILING,
    "18": AdminKind.DUPLICATE,
    "22": AdminKind.COORDINATION_OF_BENEFITS,
    "23": AdminKind.COORDINATION_OF_BENEFITS,
    "109": AdminKind.COORDINATION_OF_BENEFITS,
}

# Wording is the fallback when the letter prints no code or only an unlisted one.
_BY_WORDING: tuple[tuple[AdminKind, re.Pattern[str]], ...] = (
    (AdminKind.TIMELY_FILING, re.compile(r"timely[ -]filing|filing (?:limit|deadline)|filed late", re.I)),
    (AdminKind.DUPLICATE, re.compile(r"duplicate", re.I)),
    (
        AdminKind.COORDINATION_OF_BENEFITS,
        re.compile(
            r"coordination of benefits|\bCOB\b|other (?:insurance|payer|coverage)|primary (?:payer|insur)",
            re.I,
        ),
    ),
)


def carc_number(code: str) -> str:
    """`CO-29` / `CO 29` / `29` -> `29`; RARCs and other shapes come back unchanged."""
    match = re.fullmatch(r"(?:[A-Z]{2}[- ]?)?(\d{1,3})", code.strip().upper())
    return match.group(1) if match else code


def classify_admin(facts: CaseFacts) -> AdminKind:
    for code in facts.denial_codes:
        if code.kind == "carc" and (kind := _BY_CARC.get(carc_number(code.code))):
            return kind
    wording = " ".join(
        filter(None, [facts.denial_reason, *(c.reason for c in facts.denial_codes), facts.service_description])
    )
    for kind, pattern in _BY_WORDING:
        if pattern.search(wording):
            return kind
    return AdminKind.OTHER
