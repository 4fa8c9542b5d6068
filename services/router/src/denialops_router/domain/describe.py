"""Plain-words fields: what the service was and why it was denied."""

from __future__ import annotations

import re
from collections.abc import Sequence

from denialops_router.domain.scope import Scope
from denialops_router.domain.text import Doc, Span
from denialops_router.domain.text import at_word as _w

_SERVICE_LABEL = re.compile(
    r"(?:^|(?<=  )|(?<=\|))[ *]*(?i:services?(?: billed)?|procedures?|test|request(?:ed service)?|program|what|"
    r"treatment|item|drug|description|lines?|reason for visit)(?:\s*[:=|]\s*| {2,})(?P<v>[^\n|]{3,120})",
    re.MULTILINE,
)
_LINE_ITEM_TEXT = re.compile(r"\s*[(-]?\s*(?P<v>[A-Za-z][A-Za-z0-9 ,/'-]{3,60}?)\s*(?:\)|:|\$| {2,}|\||\n|billed|$)")
# Code families, so a bare code line still says what kind of service it was.
_CPT_FAMILIES: tuple[tuple[int, int, str], ...] = (
    (99202, 99499, "evaluation and management visit"),
    (97010, 97799, "rehabilitation therapy"),
    (92507, 92508, "speech therapy"),
    (96360, 96379, "injection or infusion administration"),
    (90460, 90474, "immunization administration"),
    (90476, 90759, "vaccine"),
    (90785, 90899, "psychiatric service"),
    (93000, 93998, "cardiovascular diagnostic test"),
    (80047, 89398, "laboratory test"),
    (70010, 79999, "imaging"),
    (29800, 29999, "arthroscopic surgery"),
    (10004, 69990, "surgical procedure"),
)
_HCPCS_FAMILIES = {"J": "injectable drug", "E": "durable medical equipment", "L": "orthotic or prosthetic",
                   "A": "supplies or transport", "G": "professional service", "H": "behavioral health service",
                   "S": "non-Medicare service", "Q": "drug or supply", "K": "durable medical equipment"}  # fmt: skip
_PROSE_SERVICE = re.compile(r"\b(?P<v>(?:[a-z][\w-]* ){1,3})\((?:CPT|HCPCS) [A-Z0-9]{5}")
_SETTING = re.compile(
    r"\b(inpatient|outpatient|observation|residential|emergency room|ambulance)\b(?:[ ,]+(stay|admission|"
    r"services|care|treatment|transport|visit))?",
    re.IGNORECASE,
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
    families = [f for f in dict.fromkeys(_family(doc.text[s:e]) for s, e in codes) if f]
    families = [f for f in families if text is None or f.split()[0] not in text.lower()][:3]
    if families:
        text = f"{text} ({'; '.join(families)})" if text else "; ".join(families)
        span = span or Span(codes[0][0], codes[0][1])
    return text, span


def _family(code: str) -> str | None:
    if code[:1].isalpha():
        return _HCPCS_FAMILIES.get(code[0])
    number = int(code[:5]) if code[:5].isdigit() else -1
    return next((name for low, high, name in _CPT_FAMILIES if low <= number <= high), None)


def _described(doc: Doc, scope: Scope, code_positions: Sequence[tuple[int, int]]) -> tuple[str | None, Span | None]:
    """A labelled service field; else the words next to the billed codes; else the care setting."""
    for m in _SERVICE_LABEL.finditer(doc.text):
        if not scope.allows(m.start("v")):
            continue
        value = _tidy(m.group("v"))
        if len(value) >= 4 and re.search(r"[a-z]{3}", value):
            return value, Span(m.start("v"), m.end("v"))
    parts: list[str] = []
    first: Span | None = None
    for _, end in code_positions:
        item = _LINE_ITEM_TEXT.match(doc.text, end)
        if item and re.search(r"[a-z]{3}", item.group("v")) and len(item.group("v").split()) >= 2:
            parts.append(_tidy(item.group("v")))
            first = first or Span(item.start("v"), item.end("v"))
    if parts and first is not None:
        return "; ".join(dict.fromkeys(p for p in parts if p)), first
    # Prose: the words just before the first procedure code, e.g. `speech therapy (CPT 92507)`.
    prose = _PROSE_SERVICE.search(doc.text)
    if prose and scope.allows(prose.start()):
        return _tidy(prose.group("v")), Span(prose.start("v"), prose.end("v"))
    setting = _SETTING.search(doc.text)
    if setting:
        noun = setting.group(2) or ("stay" if setting.group(1).lower() == "inpatient" else "services")
        return f"{setting.group(1).lower()} {noun.lower()}", Span(setting.start(), setting.end())
    return None, None


def _tidy(value: str) -> str:
    value = _STRIP.sub(" ", value)
    value = re.sub(r"\([^A-Za-z)]*\)", " ", value)
    # Cut an unbalanced bracket left behind by a removed code: `panel ( , unlisted`.
    value = re.sub(r"\([^)]*$", "", value)
    value = re.sub(r"^[^(]*?\)", lambda m: m.group().replace(")", ""), value)
    value = re.sub(r"\s*[;,/-]\s*(?=[;,/-]|$)", "", value)
    return re.sub(r"\s+", " ", value).strip(" ,;:-/()")


def denial_reason(doc: Doc, scope: Scope) -> tuple[str | None, Span | None]:
    """The first sentence that explains the denial, in the letter's own words."""
    seen: set[int] = set()
    for m in _REASON_CUE.finditer(doc.lower):
        span = doc.sentence(m.start())
        if span.start in seen or not scope.allows(m.start()):
            continue
        seen.add(span.start)
        text = " ".join(doc.text[span.start : span.end].split())
        if 25 <= len(text) <= 400 and not re.search(r"\d{3}[-. ]\d{4}", text):
            return text.lstrip("-*|> ").strip(), span
    return None, None
