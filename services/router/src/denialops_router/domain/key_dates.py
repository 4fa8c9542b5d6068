"""Date of service and date of denial, told apart from the distractor dates around them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from denialops_router.domain.scope import Scope
from denialops_router.domain.text import Doc, column_header
from denialops_shared.contracts.dates import DateMention

_SERVICE = re.compile(
    r"dates? of service|service dates?|\bdos\b|date(?:s)? (?:you were )?seen|\bvisit(?: date)?\b|\bwhen\b|drawn|"
    r"test date|admi(?:t|tted|ssion)(?: date)?|(?:days|dates) under review|dates? of (?:care|treatment|stay)|"
    r"fecha de servicio|(?<!we )(?<!was )received on|(?:care|services?|visit|seen|treated|treatment|surgery|"
    r"procedure|test|appointment|stay)\b[^.\n]{0,40}\bon|\bseen on|performed on",
    re.IGNORECASE,
)
_ISSUED = re.compile(
    r"notice date|fecha del aviso|date of (?:this )?(?:notice|letter|decision|determination|statement|eob|remit)|"
    r"\bissued?\b|issue date|statement (?:date|issued)|remit(?:tance)? date|\bprocessed\b|process(?:ed)? date|"
    r"decision date|letter date|date (?:issued|mailed|printed)|\bmailed\b|^\s*dated?\s*:|denied on|rejected on|"
    r"decided on|paid date|check date|run date",
    re.IGNORECASE,
)
_OTHER = re.compile(
    r"\b(?:receiv|receipt|call date|discharge|through|thru|to\b|ended|end\b|ends|terminat|reset|expir|effective|"
    r"meeting|reviewed|birth|dob\b|born|coverage|approv|authori[sz]|between|until|by\b|before|after|"
    r"earlier|prior|previous|last\b|exported|restored|starting|since|from\b)",
    re.IGNORECASE,
)
_CLAIM_LINE = re.compile(r"^\s*(?:claim|icn)\b", re.IGNORECASE)


@dataclass(frozen=True)
class DateFact:
    mention: DateMention
    confidence: float


def _label_kind(doc: Doc, mention: DateMention) -> str | None:
    line = doc.line(mention.start)
    before = doc.text[max(line.start, mention.start - 60) : mention.start]
    # The label is the last non-empty cell before the date (`Date of service:     03/02/2024`).
    parts = [p for p in re.split(r"\|| {3,}|;|\(|\)", before) if p.strip()]
    before = parts[-1] if parts else ""
    best: tuple[int, str] | None = None
    for kind, pattern in (("other", _OTHER), ("service", _SERVICE), ("issued", _ISSUED)):
        for m in pattern.finditer(before):
            if best is None or m.end() > best[0] or (m.end() == best[0] and kind != "other"):
                best = (m.end(), kind)
    return best[1] if best else None


def find_key_dates(doc: Doc, scope: Scope, pre_service: bool) -> tuple[DateFact | None, DateFact | None]:
    """(date of service, date of denial)."""
    mentions = [d for d in doc.dates if scope.allows(d.start)]
    kinds = [(d, _label_kind(doc, d)) for d in mentions]
    service = next((DateFact(d, 0.9) for d, k in kinds if k == "service"), None)
    if service is None:
        service = _service_from_layout(doc, mentions)
    if pre_service:
        service = None
    issued = next((DateFact(d, 0.9) for d, k in kinds if k == "issued"), None)
    if issued is None:
        issued = _letter_date(doc, [d for d, k in kinds if k is None])
    return service, issued


def _service_from_layout(doc: Doc, mentions: list[DateMention]) -> DateFact | None:
    """A date on a claim header line of a statement, or under a `dos` column of a table."""
    for d in mentions:
        line = doc.line(d.start)
        if _CLAIM_LINE.match(doc.text[line.start : line.end]):
            return DateFact(d, 0.75)
        header = column_header(doc, d.start)
        if header and _SERVICE.search(header):
            return DateFact(d, 0.85)
    return None


def _letter_date(doc: Doc, unlabelled: list[DateMention]) -> DateFact | None:
    """The letter's own date: alone on a line, or closing a heading line, near the top."""
    lines_seen = 0
    for line in doc.lines():
        text = doc.text[line.start : line.end]
        if not text.strip():
            continue
        lines_seen += 1
        if lines_seen > 14:
            break
        for d in unlabelled:
            if line.start <= d.start < line.end:
                alone = not text[: d.start - line.start].strip() and not text[d.end - line.start :].strip()
                closing = not text[d.end - line.start :].strip() and re.search(r" {3,}$", text[: d.start - line.start])
                if alone or closing:
                    return DateFact(d, 0.8)
    return None
