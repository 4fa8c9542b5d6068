"""Appeal window and deadline for the next step; timely-filing limits and response times are ignored."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from denialops_router.domain.text import Doc, Span
from denialops_shared.contracts.artifacts import DeadlineBasis
from denialops_shared.contracts.dates import add_months

_NUMBERS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30, "forty-five": 45,
    "forty five": 45, "sixty": 60, "ninety": 90, "one hundred twenty": 120, "one hundred and twenty": 120,
    "one hundred eighty": 180, "one hundred and eighty": 180, "three hundred sixty-five": 365,
}  # fmt: skip
_WORDS = "|".join(sorted((re.escape(k) for k in _NUMBERS), key=len, reverse=True))
_WINDOW = re.compile(
    rf"\b(?P<num>\d{{1,3}}|{_WORDS})(?:\s*\(\d{{1,3}}\))?[- ](?:calendar |business |working )?"
    r"(?P<unit>days?|months?)\b"
)
_ACTION = re.compile(
    r"appeal|reconsider|dispute|review|request|reopen|redetermination|corrected|replacement|resubmi|grievance|"
    r"hearing|ask|file|send|submit|accepted until|disagree",
    re.IGNORECASE,
)
_FILING_LIMIT = re.compile(
    r"timely filing|filing (?:limit|period|deadline)|to (?:submit|file) (?:a |the |your |new )?claims?\b|"
    r"claims? must be (?:submitted|filed)",
    re.IGNORECASE,
)
_FROM_SERVICE = re.compile(r"^[^.]{0,60}?(?:date of service|service date|dates? of service|after the service)", re.I)
_RESPONSE_TIME = re.compile(
    r"\b(?:decision|decide|decides|respond|response|notify|answer)\b[^.]{0,25}\bwithin\b|"
    r"\bwithin\b[^.]{0,40}\bafter (?:it|we|they) receives?\b",
    re.IGNORECASE,
)
# A window is phrased as one: `within 60 days`, `up to 90 days after`, `180 days, counted from`.
_WINDOW_BEFORE = re.compile(r"(?:within|up to|no (?:more|later) than|you have|have|until|allow(?:s|ed)?)\s*$", re.I)
_WINDOW_AFTER = re.compile(r"^,?\s*(?:of|after|from|following|counted|starting)\b", re.IGNORECASE)
_RECEIPT = re.compile(r"^[^.]{0,80}?(?:receiv|receipt|reaches you|delivered|you get)", re.IGNORECASE)
_FROM_LETTER = re.compile(
    r"^[^.]{0,80}?(?:this (?:letter|notice|memo|statement|decision|eob|remit\w*|explanation)|date (?:at the top|"
    r"printed|shown|above|on (?:this|the))|notice date|issue date|issued|statement date|remit(?:tance)? date|"
    r"processed|denial date|date of (?:the |this |our )?(?:denial|letter|notice|decision)|letter date)",
    re.IGNORECASE,
)
_PRINTED_CUE = re.compile(r"\b(?:until|by|before|no later than|deadline(?: is)?:?|on or before)\s*$", re.IGNORECASE)
_PRINTED_ACTION = re.compile(r"appeal|request|\bask\b|\bfile\b|submit|\bsend\b|dispute|review", re.IGNORECASE)
_NOT_A_DEADLINE = re.compile(r"coverage|enrol|effective|eligib|reset", re.IGNORECASE)
_EXTERNAL = re.compile(r"external review|independent review|\biro\b|fair hearing|insurance department", re.I)


@dataclass
class Deadline:
    window_days: int | None = None
    deadline: dt.date | None = None
    basis: DeadlineBasis = DeadlineBasis.UNKNOWN
    evidence: list[Span] = field(default_factory=list)
    assumptions: list[str] = field(default_factory=list)
    confidence: float = 0.0


@dataclass(frozen=True)
class _Window:
    amount: int
    months: bool
    anchor: str
    span: Span
    external: bool


def find_deadline(doc: Doc, denial_date: dt.date | None, final_decision: bool) -> Deadline:
    windows = _windows(doc)
    if final_decision and any(w.external for w in windows):
        windows = [w for w in windows if w.external]
    printed = _printed_deadline(doc)
    result = Deadline()
    if windows:
        w = windows[0]
        result.window_days = None if w.months else w.amount
        result.evidence.append(w.span)
        result.confidence = 0.85
        if w.anchor == "receipt":
            result.basis = DeadlineBasis.FROM_RECEIPT
            result.assumptions.append(
                "The appeal window counts from when the letter was received; the receipt date is not printed, "
                "so no deadline date is computed (allow for mail time)."
            )
        elif denial_date is not None:
            result.basis = DeadlineBasis.FROM_DENIAL_DATE
            result.deadline = (
                add_months(denial_date, w.amount) if w.months else denial_date + dt.timedelta(days=w.amount)
            )
            if w.anchor == "unstated":
                result.assumptions.append(
                    "The letter does not say when the window starts; counted from the letter date."
                )
                result.confidence = 0.6
    if printed is not None:
        result.deadline, span = printed
        result.basis = DeadlineBasis.PRINTED
        result.evidence.append(span)
        result.confidence = 0.9
    return result


def _windows(doc: Doc) -> list[_Window]:
    out: list[_Window] = []
    for m in _WINDOW.finditer(doc.lower):
        sentence = doc.sentence(m.start())
        text = doc.text[sentence.start : sentence.end]
        after = doc.text[m.end() : sentence.end]
        if not _WINDOW_BEFORE.search(doc.text[max(0, m.start() - 30) : m.start()]) and not _WINDOW_AFTER.search(after):
            continue
        # The action may be named in the sentence before: `You can appeal. Do this within 60 days ...`.
        context = doc.text[doc.sentence(max(0, sentence.start - 2)).start : sentence.end]
        if not _ACTION.search(context) or _FILING_LIMIT.search(text) or _FROM_SERVICE.search(after):
            continue
        if _RESPONSE_TIME.search(doc.text[sentence.start : m.end() + 40]):
            continue
        raw = m.group("num").lower()
        amount = int(raw) if raw.isdigit() else _NUMBERS.get(raw.replace("-", " "), _NUMBERS.get(raw, 0))
        if amount <= 0:
            continue
        anchor = "receipt" if _RECEIPT.search(after) else "letter" if _FROM_LETTER.search(after) else "unstated"
        out.append(
            _Window(
                amount,
                m.group("unit").lower().startswith("month"),
                anchor,
                Span(m.start(), m.end()),
                bool(_EXTERNAL.search(text)),
            )
        )
    return out


def _printed_deadline(doc: Doc) -> tuple[dt.date, Span] | None:
    for d in doc.dates:
        sentence = doc.sentence(d.start)
        before = doc.text[max(sentence.start, d.start - 30) : d.start]
        text = doc.text[sentence.start : sentence.end]
        if (
            _PRINTED_CUE.search(before)
            and _PRINTED_ACTION.search(text)
            and not _FILING_LIMIT.search(text)
            and not _NOT_A_DEADLINE.search(text)
        ):
            return d.value, Span(d.start, d.end)
    return None
