"""Plain-words fields: what the service was and why it was denied."""

from __future__ import annotations

import re
from collections.abc import Sequence

from denialops_router.domain.labelled import column_values, labelled
from denialops_router.domain.patterns import scan, search
from denialops_router.domain.procedure_families import family
from denialops_router.domain.scope import Scope
from denialops_router.domain.tables import table_lines
from denialops_router.domain.text import Doc, Span
from denialops_router.domain.text import at_word as _w

_SERVICE_LABEL = re.compile(
    r"(?:^|(?<=  )|(?<=\|))[ *]*(?i:services?(?: billed)?|procedures?|test|request(?:ed service)?|program|what|"
    r"treatment|item|drug|description|lines?|reason for visit)(?:\s*[:=|]\s*| {2,})(?P<v>[^\n|]{3,120})",
    re.MULTILINE,
)
# Labels (normalised, see `labelled`) and table columns that hold the service in words.
_SERVICE_ROLE = re.compile(
    r"(?:(?:the |requested |denied )?(?:services?|procedures?|items?|drugs?|medications?|treatments?|"
    r"equipment|supplies|tests?|therapy|admission|stay|level of care|type of service)"
    r"(?: requested| description| billed| provided| received| denied)?|(?:service|procedure|item|line) description|"
    r"description|desc|what was requested|what we reviewed)"
)
# `Re: Your request for semaglutide 2.4 mg ...`, `we received a request for a power wheelchair`.
_REQUEST_FOR = re.compile(
    r"\b(?i:request|requests|asked us to cover|approval) for (?P<v>(?:a |an |the )?[a-z][^.;:\n()]{3,80})"
)
# The words after a code on its own line (`73630 X-ray foot, 3 views   $96.00`).
_LINE_ITEM_TEXT = re.compile(
    r"[ \t]*[(-]?[ \t]*(?P<v>[A-Za-z][A-Za-z0-9 ,/'-]{3,60}?)\s*(?:\)|:|\$| {2,}|\||\n|billed|$)"
)
# A code's label just before it (`CPT 64615`, `HCPCS J2941`, `code 99214`), and the separator of an item
# line's words from its code (`Somatropin, daily injections - HCPCS J2941`).
_CODE_LEAD = re.compile(r"\b(?i:CPT|HCPCS|procedure|code)s?(?:\s*(?:code|#|no\.?))?\s*:?\s*$")
_CODE_SEPARATOR = re.compile(r"[A-Za-z)](?:\s+-|,|:)\s+(?:(?i:CPT|HCPCS|code)\S*\s*)?$")
_LIST_MARK = re.compile(r"[ \t]*(?:[-*\u2022]|\d{1,2}[.)])\s")
_PHRASE_CUT = re.compile(r"(?:\b(?i:for|of|about|approve|cover|authori[sz]e)\s+|:\s+)(?:(?i:an?|the|your)\s+)?")
_FUNCTION_WORDS = frozenset({"with", "and", "the", "for", "per", "each", "units", "unit", "line", "from", "thru"})
_MAX_PHRASE_WORDS = 10
# Over the lower-cased letter, each word spelled as a literal (`at_word`) so that sre scans for it.
_SETTINGS = ("inpatient", "outpatient", "observation", "residential", "skilled nursing", "emergency room", "ambulance")
_SETTING = re.compile(
    "(" + "|".join(_w(w) for w in _SETTINGS) + r")\b(?:[ ,]+(stay|admission|services|care|treatment|transport|visit))?"
)
_STRIP = re.compile(
    r"\$\s?[\d,]+(?:\.\d{2})?|\b(?:CPT|HCPCS|code)\b|\b[A-Z]?\d{4}[\dA-Z]?\b(?:-[A-Z0-9]{2})?|"
    r"\bx\s*\d+\s*units?\b|\(\s*\)|\bdiagnosis\b.*$",
    re.IGNORECASE,
)
_REASON_CUE = re.compile(
    rf"{_w('because')}\b|{_w('due')} to\b|not medically necessary|medically necessary|not covered|{_w('exclu')}|"
    r"no authorization|"
    rf"not (?:receive|obtain)|did not receive|{_w('expired')}\b|filing|duplicate|identical claim|coverage (?:ended|"
    rf"terminated)|not enrolled|no (?:spouse|dependent)|maximum|used all|{_w('missing')}\b|not reported|invalid|"
    r"not billable|investigational|experimental|level of care|pays first|primary|approval ended|not part of|"
    r"cosmetic|could not pay|was not needed|no longer needed|does not (?:show|support|cover)"
)


def service_description(doc: Doc, scope: Scope, codes: Sequence[tuple[int, int]]) -> tuple[str | None, Span | None]:
    """What was billed, in words, with the code family of the first billed code."""
    text, span = _described(doc, scope, codes)
    families = [f for f in dict.fromkeys(family(doc.text[s:e]) for s, e in codes) if f]
    families = [f for f in families if text is None or f.split()[0] not in text.lower()][:3]
    if families:
        text = f"{text} ({'; '.join(families)})" if text else "; ".join(families)
        span = span or Span(codes[0][0], codes[0][1])
    # A revenue line (`R&B SEMI-PVT`) does not say the care was an inpatient stay; the letter does.
    setting = doc.memo(_setting)
    if text and setting and setting.group(1).lower() == "inpatient" and "inpatient" not in text.lower():
        text = f"{text} (inpatient stay)"
    return text, span


def _setting(doc: Doc) -> re.Match[str] | None:
    """The first care setting the letter names (`inpatient stay`), lower-cased."""
    return search(_SETTING, doc.lower)


def _described(doc: Doc, scope: Scope, code_positions: Sequence[tuple[int, int]]) -> tuple[str | None, Span | None]:
    """A service field or the denied row's description column; else a labelled service phrase; else the
    words next to the billed codes; else what the request was for; else the care setting."""
    for field in (*labelled(doc, scope, _SERVICE_ROLE), *column_values(doc, scope, _SERVICE_ROLE)):
        value = _service_value(doc.text[field.value.start : field.value.end])
        if value:
            return value, field.value
    in_tables = table_lines(doc)
    for m in _SERVICE_LABEL.finditer(doc.text):
        if not scope.allows(m.start("v")) or doc.line(m.start()).start in in_tables:
            continue
        value = _tidy(m.group("v"))
        if len(value) >= 4 and re.search(r"[a-z]{3}", value):
            return value, Span(m.start("v"), m.end("v"))
    parts: list[str] = []
    first: Span | None = None
    for start, end in code_positions:
        words = _beside_code(doc, start, end)
        if words:
            parts.append(words[0])
            first = first or words[1]
    if parts and first is not None:
        return "; ".join(dict.fromkeys(parts)), first
    request = _REQUEST_FOR.search(doc.text)
    if request and scope.allows(request.start("v")):
        value = _service_value(request.group("v"))
        if value:
            return value, Span(request.start("v"), request.end("v"))
    setting = doc.memo(_setting)
    if setting:
        noun = setting.group(2) or ("stay" if setting.group(1).lower() == "inpatient" else "services")
        return f"{setting.group(1).lower()} {noun.lower()}", Span(setting.start(), setting.end())
    return None, None


def _beside_code(doc: Doc, start: int, end: int) -> tuple[str, Span] | None:
    """A billed code's own words: after it on its line (`73630 X-ray foot, 3 views`), before it inside
    its bracket (`(chemodenervation for chronic migraine, CPT 64615)`), the phrase its bracket follows
    (`for open rhinoplasty (CPT 30410)`), or an item line that ends with it (`Somatropin injections - J2941`)."""
    item = _LINE_ITEM_TEXT.match(doc.text, end)
    if item and len(item.group("v").split()) >= 2:
        value = _tidy(item.group("v"))
        if _has_content(value):
            return value, Span(item.start("v"), item.end("v"))
    lead = _CODE_LEAD.search(doc.text, max(0, start - 20), start)
    head = lead.start() if lead else start
    sentence = doc.sentence(start)
    opened = doc.text.rfind("(", sentence.start, head)
    if opened >= 0 and ")" not in doc.text[opened:head]:
        inside = _phrase(doc, opened + 1, head)
        if inside:
            return inside
        if not doc.text[opened + 1 : head].strip():
            return _phrase(doc, _clause_start(doc, sentence.start, opened), opened)
        return None
    line = doc.line(start)
    rest = doc.text[end : line.end]
    if not re.fullmatch(r"[\s).,;]*", rest) or not _CODE_SEPARATOR.search(doc.text, line.start, head):
        return None
    # An item stands on its own: first in its block (after a blank line or a colon), or bulleted.
    above = doc.text[: max(0, line.start - 1)].rstrip(" ")
    if not above or above.endswith(("\n", ":")) or _LIST_MARK.match(doc.text, line.start):
        return _phrase(doc, line.start, head)
    return None


def _phrase(doc: Doc, start: int, end: int) -> tuple[str, Span] | None:
    """The service words of `doc.text[start:end]`, when they are a short noun phrase."""
    raw = doc.text[start:end]
    value = _service_value(_LIST_MARK.sub("", raw, count=1))
    if value is None or not _has_content(value) or len(value.split()) > _MAX_PHRASE_WORDS:
        return None
    offset = start + len(raw) - len(raw.lstrip())
    return value, Span(offset, end)


def _clause_start(doc: Doc, sentence_start: int, end: int) -> int:
    """Where the noun phrase before `end` starts: after the sentence's last `for`, `of`, `about`, colon or verb of
    a request (`approve`, `cover`)."""
    cuts = list(_PHRASE_CUT.finditer(doc.text, sentence_start, end))
    return cuts[-1].end() if cuts else sentence_start


def _has_content(value: str) -> bool:
    return any(len(w) >= 3 and w not in _FUNCTION_WORDS for w in re.findall(r"[a-z]+", value.lower()))


def _service_value(raw: str) -> str | None:
    """A service value in words: `Proton beam radiation therapy, CPT 77525`, `10/07/2024 - 10/21/2024
    (skilled nursing, 14 days)`; None when nothing but codes, dates and amounts."""
    raw = re.sub(r"^\s*(?i:your |a |the )?(?i:request|claim|appeal)s? for\s+", "", raw)
    # What follows a bracket or a code label is detail (`Proton beam therapy, CPT 77525 (complex)`).
    head = re.split(r"\s*\(|,?\s*\b(?:CPT|HCPCS|NDC|code)\b", raw)[0]
    raw = head if re.search(r"[A-Za-z]{3}", head) else raw
    raw = _STRIP.sub(" ", raw)
    value = _tidy(re.sub(r"\d{1,4}[/-]\d{1,2}[/-]\d{2,4}|\b\d+\b(?! ?(?:mg|ml|mcg|units?)\b)", " ", raw))
    return value if re.search(r"[A-Za-z]{3}", value) and len(value) >= 4 else None


def _tidy(value: str) -> str:
    value = _STRIP.sub(" ", value)
    value = re.sub(r"\([^A-Za-z)]*\)", " ", value)
    # Cut an unbalanced bracket left behind by a removed code: `panel ( , unlisted`.
    value = re.sub(r"\([^)]*$", "", value)
    value = re.sub(r"^[^(]*?\)", lambda m: m.group().replace(")", ""), value)
    value = re.sub(r"\s*[;,/-]\s*(?=[;,/-]|$)", "", value)
    return re.sub(r"\s+", " ", value).strip(" ,;:-/().")


_BOILERPLATE = re.compile(
    r"\s*(?:[-*>|]\s*)?(?i:if you|you (?:may|can|have the right)|to (?:appeal|ask)|call|for help)\b"
)


def denial_reason(doc: Doc, scope: Scope) -> tuple[str | None, Span | None]:
    """The first sentence that explains the denial, in the letter's own words."""
    seen: set[int] = set()
    in_tables = table_lines(doc)
    for m in scan(_REASON_CUE, doc.lower):
        span = doc.sentence(m.start())
        # A table's header or row is not a sentence; appeal-rights boilerplate explains no denial.
        if span.start in seen or not scope.allows(m.start()) or doc.line(m.start()).start in in_tables:
            continue
        if _BOILERPLATE.match(doc.text, span.start) or _BOILERPLATE.match(doc.text[span.start : span.end].lstrip()):
            continue
        seen.add(span.start)
        text = " ".join(doc.text[span.start : span.end].split())
        if 25 <= len(text) <= 400 and not re.search(r"\d{3}[-. ]\d{4}", text):
            return text.lstrip("-*|> ").strip(), span
    return None, None
