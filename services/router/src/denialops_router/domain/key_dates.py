"""Date of service and date of denial, read by role.

Each date is given a role by what names it: the label of its key-value field (`structure.fields`),
its table column (`tables.tables`), its place in the letter's heading, or the words just before it in
prose. Received, printed, run, check, effective, birth and other dates are distractors; the dates of a
fax cover sheet are the transmission's, not the letter's. The date of service is the first day of a
range or stay, or the first day not certified in a concurrent review.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from denialops_router.domain import letter_kind
from denialops_router.domain.scope import Scope
from denialops_router.domain.structure import fields
from denialops_router.domain.tables import table_lines, tables
from denialops_router.domain.text import Doc, Span
from denialops_shared.contracts.dates import DateMention

# Field labels by role, tried in this order (the first that matches names the role). Distractors come
# before the letter-date roles so `original decision`, `appeal received` or `printed` never pass for it.
_LABEL_ROLES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (role, re.compile(pattern))
    for role, pattern in (
        # Concurrent review: the first day not certified is the denied service.
        (
            "denied days",
            r"(?:days?|dates?) (?:not|non-?) ?certified|non-?certified|(?:days?|dates?) at issue|"
            r"(?:days?|dates?) (?:under|on) (?:appeal|review)|(?:days?|dates?|services?) denied|"
            r"denied (?:days?|dates?)",
        ),
        ("admission", r"admi(?:t|tted|ssion)\b"),
        (
            "service",
            r"(?:dates?|days?|dt) of (?:service|svc|care|treatment|stay|visit)|service dates?|\bsvc\b|\bdos\b|"
            r"\bserv\b|\bsrv\b|"
            r"^services?(?: provided| rendered)?$|^visits?(?: dates?)?$|visit date|date seen|deliver|dispens|"
            r"fill(?:ed)? date|\bstay\b|dates? on this claim|fecha de servicio|^(?:service )?from(?: date)?$|"
            r"(?:test|surgery|procedure|treatment|transport|delivery) date|date of (?:test|surgery|procedure)|"
            r"service period|period of (?:service|care)|incurred|rendered",
        ),
        (
            "other",
            r"receiv|\brec'?v?d\b|receipt|print|\brun\b(?! date)|birth|\bdob\b|effective|\beff\b|expir|\bterminat|"
            r"coverage|enrol|discharg|\bdisch\b|through|\bthru\b|\bend|\bcall|policy|plan year|period|original|"
            r"previous|\bprior\b|earlier|request|\breview(?:ed)?\b|approv|\bauth|opened|answer|\bdue\b|deadline|\bby\b|filed|"
            r"appeal|follow|\bnext\b|reset|\blast\b|cobra|election|premium|renewal",
        ),
        (
            "issued",
            r"notice|letter|statement|\beob\b|\beop\b|\bera\b|remit|\bra\b|explanation of benefits|production|"
            r"report|\brpt\b|\brun date|issue|fecha del aviso|date mailed|\bmail(?:ing)? date|^mailed(?: on)?$|"
            r"correspondence",
        ),
        # Decisions and denials named in a field are often an earlier level's (`first-level decision`).
        (
            "decided",
            r"decision|determination|decided|denial|denied|reject|processed|process date|adjudicat|\bstatus\b|"
            r"\bresponse\b",
        ),
        ("payment", r"\bpa(?:y|id|yment)\b|check|\beft\b"),
        ("sent", r"^(?:posted|sent|date sent|transmitted|date/time)$"),
        ("dated", r"^(?:date|dated|fecha)$"),
    )
)
_SUBJECT = re.compile(r"\b(?:we|you|i|they|he|she|it)\b")
# Prose cues in the words before a date (the last cell of its line, at most 60 characters back).
_PROSE_SERVICE = re.compile(
    r"dates? of service|service dates?|\bdos\b|date(?:s)? (?:you were )?seen|\bvisit(?: date)?\b|\bwhen\b|drawn|"
    r"test date|(?:days|dates) under review|dates? of (?:care|treatment|stay)|fecha de servicio|"
    r"(?<!we )(?<!was )received on\s*$|\badmi(?:t|tted|ssion)(?: date)?:?\s*$|"
    r"(?:care|services?|visit|seen|treated|treatment|surgery|procedure|test|appointment|stay|provided|performed|"
    r"x-?ray|mri|scan|imaging|exam|therapy|session|infusion|injection|dispensed|delivered|supplied|"
    r"\d{4}[0-9ftu]|[a-v]\d{4})\b[^.\n]{0,40}\bon\s*$|\bseen on|performed on|"
    r"(?:services?|care|treatment|stay|visits?|therapy) (?:from|between|beginning|starting)\s*$",
    re.IGNORECASE,
)
_PROSE_ISSUED = re.compile(
    r"(?:notice|letter|decision|determination|statement|eob|eop|remit(?:tance)?|era) (?:is |was )?dated\s*$|"
    r"(?:denied|rejected|decided|issued|processed)(?: on)?\s*$|\bdtd\s*$|"
    r"\b(?:notice|letter|statement|eob|eop|era|remit(?:tance)?|issue|production|run) date\b[^.\d]{0,40}$",
    re.IGNORECASE,
)
# A date naming the service after it: `your 03/03/2025 office visit`, `the May 2, 2025 MRI`.
_SERVICE_AFTER = re.compile(
    r",?\s*(?:office |emergency |er |hospital |outpatient |inpatient |clinic |lab |follow-up )?(?:visit|appointment|"
    r"services?|surgery|procedure|mri|ct|scan|x-?ray|test|stay|admission|treatment|therapy|session|delivery|exam)\b"
)
_DETERMINER = re.compile(r"\b(?:your|the|a|an|this|that|his|her|their|our)\s+$")
_PROSE_CELLS = re.compile(r"\|| {3,}|;|\(|\)")
_PROSE_OTHER = re.compile(
    r"\b(?:receiv|receipt|call date|discharge|through|thru|to\b|ended|end\b|ends|terminat|reset|expir|effective|"
    r"meeting|reviewed|birth|dob\b|born|coverage|approv|authori[sz]|between|until|by\b|before|after|"
    r"earlier|prior|previous|last\b|exported|restored|starting|since|from\b|first|original)",
    re.IGNORECASE,
)
# A table column that holds another date than the service's (`Received`, `Paid date`, `DOB`).
_OTHER_COLUMN = re.compile(r"receiv|rcvd|paid|pay|check|birth|dob|process|print|eff|term", re.IGNORECASE)
# A service line outside a recognised table: a date, a procedure code and an amount on one line.
_SERVICE_LINE = re.compile(r"(?<![\w.-])(?:\d{4}[0-9FTU]|[A-V]\d{4}|D\d{4})(?![\w.])[^\n]*?\d\.\d\d\b")
# A statement's claim header line (`Claim WR2410090034472 - Brackenridge Internal Medicine - 10/09/2024`).
_CLAIM_LINE = re.compile(r"^\s*(?:claim|icn)\b", re.IGNORECASE)
_DENIED_ROW = re.compile(r"\b(?:CO|PR|OA|PI|CR)[- ]?(\d{1,3})\b|denied|rejected|not covered", re.IGNORECASE)
_ROUTINE_CARCS = frozenset({"1", "2", "3", "45"})
_ZERO = re.compile(r"(?:usd\s*)?\$?\s*0(?:\.00)?", re.IGNORECASE)
# A fax transmission's banner line, repeated on each page, and its cover sheet.
_FAX_BANNER = re.compile(r"\bfax\b.*\d{1,2}:\d\d|\b(?:page|p\.)\s*\d+\s*/\s*\d+|\bpages?:\s*\d", re.IGNORECASE)
# Its cue is a heading (`FAX COVER SHEET`) or the page count (`Pages: 3 (including this cover sheet)`), not a
# `correction cover sheet` named in a letter.
_COVER_START = re.compile(
    r"^\W*(?:(?:fax|facsimile)\s+)?(?:cover\s+sheet|transmittal(?:\s+sheet)?)\W*$|^\W*(?:fax|facsimile)\s+cover\b|"
    r"\bpages?:.*\bcover\b",
    re.IGNORECASE | re.MULTILINE,
)
_PAGES = re.compile(r"\bpages?:", re.IGNORECASE)
_COVER_END = re.compile(r"confidential", re.IGNORECASE)
# Cells of a heading line; ` / ` parts a date from its translation (`February 18, 2025 / 18 de febrero de 2025`).
_HEADING_CELLS = re.compile(r"\s*(?:\||\*+|\s[-/\u00b7\u2022]\s| {3,})\s*")
# A date stamped at the start of a chat or notes line: `[05/16/2025 09:12] Name: ...`, `01/24/25 16:40 SYS`.
_STAMP = re.compile(r"\s+\d{1,2}:\d\d\b")
_TIME = re.compile(r"^\s*\d{1,2}:\d\d(?::\d\d)?(?:\s*[ap]\.?m\.?)?(?:\s+[a-z]{2,3}t)?\s*$", re.IGNORECASE)
# The heading is the first 14 lines, or more (up to 30) while the letter's body has not begun: a tall
# letterhead and address block push the date down.
_HEADING_LINES = 14
_MAX_HEADING_LINES = 30
_SALUTATION = re.compile(r"\s*(?:dear|to whom|hello)\b", re.IGNORECASE)
_BODY_WORDS = 12
# What may stand before a heading date in its cell: nothing, its weekday (`Monday, June 2, 2025`) or the
# article of a day written out (`the 20th of February 2025`).
_WEEKDAY = re.compile(r"\s*(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day,?\s*|the\s+)?", re.IGNORECASE)


@dataclass(frozen=True)
class DateFact:
    mention: DateMention
    confidence: float


def find_key_dates(doc: Doc, scope: Scope, pre_service: bool) -> tuple[DateFact | None, DateFact | None]:
    """(date of service, date of denial)."""
    labelled = list(_labelled(doc))
    service = None if pre_service else _service_date(doc, scope, labelled)
    return service, _letter_date(doc, labelled)


def _labelled(doc: Doc) -> Iterator[tuple[str, DateMention]]:
    """(role, first date of the value) for every key-value field whose value holds a date."""
    dates = doc.dates
    i = 0
    for f in fields(doc):
        while i < len(dates) and dates[i].start < f.value_span.start:
            i += 1
        if i < len(dates) and dates[i].start < f.value_span.end:
            yield _label_role(f.label), dates[i]


def _label_role(label: str) -> str:
    # A label that runs on from a sentence (`era posted. clm`) is named by its last phrase; one with a
    # subject (`we reviewed your`) is a sentence, read as prose.
    label = label.rsplit(". ", 1)[-1]
    # A record's key (`service_from`, `response_date`) and a plural in brackets (`date(s) of service`).
    label = label.replace("_", " ").replace("(s)", "s")
    if _SUBJECT.search(label):
        return "unknown"
    return next((role for role, pattern in _LABEL_ROLES if pattern.search(label)), "unknown")


def _service_date(doc: Doc, scope: Scope, labelled: list[tuple[str, DateMention]]) -> DateFact | None:
    def first(role: str) -> DateMention | None:
        return next((d for r, d in labelled if r == role and scope.allows(d.start) and not d.closes_range), None)

    for role, confidence in (("denied days", 0.9), ("service", 0.9)):
        if (found := first(role)) is not None:
            return DateFact(found, confidence)
    if (row := _table_service_date(doc, scope)) is not None:
        return DateFact(row, 0.85)
    if (found := first("admission")) is not None:
        return DateFact(found, 0.8)
    # Dates no label names: a claim's service line or header line, then prose (`services you received on`).
    named = {d.start for role, d in labelled if role != "unknown"}
    free = [d for d in doc.dates if scope.allows(d.start) and not d.closes_range and d.start not in named]
    if (line := _service_line_date(doc, free)) is not None:
        return DateFact(line, 0.75)
    roles = _prose_roles(doc)
    claim = next((d for d in free if _CLAIM_LINE.match(_line_text(doc, d)) and roles[d.start] != "other"), None)
    if claim is not None:
        return DateFact(claim, 0.75)
    found = next((d for d in free if roles[d.start] == "service"), None)
    return DateFact(found, 0.7) if found else None


def _table_service_date(doc: Doc, scope: Scope) -> DateMention | None:
    """The date in a table's service-date column: of the first denied row, else of the first row."""
    rows: list[tuple[DateMention, bool]] = []
    for table in tables(doc):
        index = table.column("date of service")
        if index is None or _OTHER_COLUMN.search(table.columns[index].name):
            continue
        for row in table.rows:
            cell = row.cells[index]
            if row.total or not cell or not scope.allows(row.span.start):
                continue
            date = next((d for d in doc.dates if cell[0].start <= d.start < cell[0].end), None)
            if date is not None:
                paid = " ".join(doc.text[p.start : p.end] for p in table.cell(row, "paid"))
                unpaid = bool(_ZERO.fullmatch(paid.strip()))
                rows.append((date, unpaid or _denied(doc.text[row.span.start : row.span.end])))
    return _denied_first(rows)


def _service_line_date(doc: Doc, dates: list[DateMention]) -> DateMention | None:
    """The first date of a line that also bills a procedure code with an amount."""
    rows: list[tuple[DateMention, bool]] = []
    seen: set[int] = set()
    for d in dates:
        line = doc.line(d.start)
        # A line's timestamp (`[05/16/2025 09:12] ...`) dates the message, not the service it names.
        if line.start in seen or _STAMP.match(doc.text, d.end):
            continue
        seen.add(line.start)
        text = doc.text[d.end : line.end]
        if _SERVICE_LINE.search(text) and _prose_roles(doc)[d.start] not in ("other", "issued"):
            rows.append((d, _denied(text)))
    return _denied_first(rows)


def _denied(row: str) -> bool:
    return any(m.group(1) is None or m.group(1) not in _ROUTINE_CARCS for m in _DENIED_ROW.finditer(row))


def _denied_first(rows: list[tuple[DateMention, bool]]) -> DateMention | None:
    return next((d for d, denied in rows if denied), rows[0][0] if rows else None)


def _letter_date(doc: Doc, labelled: list[tuple[str, DateMention]]) -> DateFact | None:
    """The letter's own date: labelled as such, in its heading, named in prose, then weaker labels."""
    cover = _fax_cover(doc)

    def first(role: str) -> DateMention | None:
        return next((d for r, d in labelled if r == role and not _in(d, cover)), None)

    if (found := first("issued")) is not None:
        return DateFact(found, 0.9)
    roles = {d.start: r for r, d in labelled}
    # A message (an e-mail reply, a chat, call notes) is dated when it was written: the notice it reports on
    # is the one its text dates (`the EOP dated 12/27/24`, `the appeal was decided on 11/09/2026`), the latest.
    if letter_kind.message(doc):
        named = _prose_roles(doc)
        reported = [d for d in doc.dates if d.start not in roles and not _in(d, cover) and named[d.start] == "issued"]
        if reported:
            return DateFact(max(reported, key=lambda d: d.value), 0.8)
    # The other dates of a field's value (`Plan year: 07/01/2024 - 06/30/2025`) are not the letter's either.
    roles |= {d.start: "value" for d in doc.dates if d.closes_range}
    if (found := _heading_date(doc, cover, roles)) is not None:
        return DateFact(found, 0.85)
    if (found := first("decided")) is not None:
        return DateFact(found, 0.75)
    prose = next((d for d in doc.dates if not _in(d, cover) and _prose_roles(doc)[d.start] == "issued"), None)
    if prose is not None:
        return DateFact(prose, 0.75)
    for role in ("dated", "payment", "sent"):
        if (found := first(role)) is not None:
            return DateFact(found, 0.6)
    # A chat or notes line stamped with its date and time: the payer's answer is dated by it.
    stamped = next((d for d in doc.dates if _STAMP.match(doc.text, d.end) and _line_start(doc, d)), None)
    if stamped is not None:
        return DateFact(stamped, 0.55)
    # Only the transmission dates are left: a faxed decision is dated when it was sent.
    banner = next((d for d in doc.dates if _in(d, cover) or _banner(_line_text(doc, d))), None)
    return DateFact(banner, 0.5) if banner else None


def _heading_date(doc: Doc, cover: list[Span], roles: dict[int, str]) -> DateMention | None:
    """In the first lines: a date alone on its line or in a letterhead cell (`PLAN | REMIT | date`), or `Date:`."""
    seen = 0
    body = False
    rows = table_lines(doc)  # a table's dates are its rows' (`02/10/2025   Office visit   $245.00`)
    dates = iter(doc.dates)
    d = next(dates, None)
    for line in doc.lines():
        while d is not None and d.start < line.start:
            d = next(dates, None)
        text = doc.text[line.start : line.end]
        if not text.strip() or _in_span(line.start, cover) or _banner(text):
            continue
        seen += 1
        if line.start in rows:
            continue
        body = body or _body(text)
        if seen > (_HEADING_LINES if body else _MAX_HEADING_LINES):
            return None
        while d is not None and d.start < line.end:
            if roles.get(d.start) == "dated" or (d.start not in roles and _alone_in_cell(doc, line, d)):
                return d
            d = next(dates, None)
    return None


def _body(line: str) -> bool:
    """The letter's body has begun: a salutation, or a line of running prose ending a sentence."""
    words = line.split()
    return bool(_SALUTATION.match(line)) or (len(words) >= _BODY_WORDS and words[-1][-1] in ".!?")


def _banner(line: str) -> bool:
    low = line.lower()
    # The substring test spares the pattern on the lines that cannot be a banner (most of them).
    return ("fax" in low or "pag" in low or "p." in low) and bool(_FAX_BANNER.search(line))


def _alone_in_cell(doc: Doc, line: Span, d: DateMention) -> bool:
    text = doc.text[line.start : line.end]
    if _SERVICE_LINE.search(text):
        return False
    before = _HEADING_CELLS.split(text[: d.start - line.start])[-1]
    after = _HEADING_CELLS.split(text[d.end - line.start :])[0]
    return bool(_WEEKDAY.fullmatch(before)) and (not after.strip() or bool(_TIME.match(after)))


def _fax_cover(doc: Doc) -> list[Span]:
    """The fax cover sheet: after the banner above its cue, to the next banner or its confidentiality note."""
    # Every cue holds one of these words: most letters are spared the case-blind scan.
    if "cover" not in doc.lower and "transmittal" not in doc.lower:
        return []
    cue = _COVER_START.search(doc.text)
    if cue is None:
        return []
    start, end = 0, len(doc.text)
    confidential = False
    for line in doc.lines():
        text = doc.text[line.start : line.end]
        banner = _banner(text) and not _PAGES.search(text)
        if line.end < cue.start():
            start = line.end if banner else start
            continue
        if line.start <= cue.start():
            continue
        if banner:
            end = line.start
            break
        confidential = confidential or bool(_COVER_END.search(text))
        if confidential and not text.strip():
            end = line.start
            break
    return [Span(start, end)]


def _prose_roles(doc: Doc) -> dict[int, str | None]:
    """The prose role of every date, by its start (read once per letter: several tiers ask)."""
    return doc.memo(_read_prose_roles)


def _read_prose_roles(doc: Doc) -> dict[int, str | None]:
    return {d.start: _prose_role(doc, d) for d in doc.dates}


def _prose_role(doc: Doc, mention: DateMention) -> str | None:
    """The role the words around a date give it in prose: the last cell before it, or the service it dates."""
    role = _role_before(doc, mention)
    # `We reviewed your 05/03/2025 visit`: in a noun phrase, the noun after the date names it.
    if (
        role != "issued"
        and _SERVICE_AFTER.match(doc.lower, mention.end)
        and _DETERMINER.search(doc.lower, max(0, mention.start - 8), mention.start)
    ):
        return "service"
    return role


def _role_before(doc: Doc, mention: DateMention) -> str | None:
    line = doc.line(mention.start)
    before = doc.text[max(line.start, mention.start - 60) : mention.start]
    parts = [p for p in _PROSE_CELLS.split(before) if p.strip()]
    # A line's indent is no cell: `... The EOB is dated\n        February 24, 2025.` goes on from above.
    if line.start > 0 and not _PROSE_CELLS.search(before.lstrip()):
        # A hard-wrapped sentence (`the procedure on your left\nleg on 7 May 2025`) goes on from the line above.
        above = doc.line(line.start - 1)
        tail = doc.text[max(above.start, above.end - 60) : above.end]
        if tail.strip() and not _PROSE_CELLS.search(tail):
            parts = [f"{tail} {before}"]
    before = parts[-1] if parts else ""
    best: tuple[int, str] | None = None
    for kind, pattern in (("other", _PROSE_OTHER), ("service", _PROSE_SERVICE), ("issued", _PROSE_ISSUED)):
        for m in pattern.finditer(before):
            if best is None or m.end() > best[0] or (m.end() == best[0] and kind != "other"):
                best = (m.end(), kind)
    return best[1] if best else None


def _line_start(doc: Doc, mention: DateMention) -> bool:
    line = doc.line(mention.start)
    return not doc.text[line.start : mention.start].strip(" [(")


def _line_text(doc: Doc, mention: DateMention) -> str:
    line = doc.line(mention.start)
    return doc.text[line.start : line.end]


def _in(mention: DateMention, spans: Iterable[Span]) -> bool:
    return _in_span(mention.start, spans)


def _in_span(pos: int, spans: Iterable[Span]) -> bool:
    return any(s.start <= pos < s.end for s in spans)
