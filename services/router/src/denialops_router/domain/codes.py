"""CPT, HCPCS Level II and ICD-10-CM codes, told apart by shape and by the words around them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from denialops_router.domain.scope import Scope
from denialops_router.domain.text import Doc

US_STATES = frozenset(
    [
        "AL",
        "AK",
        "AZ",
        "AR",
        "CA",
        "CO",
        "CT",
        "DE",
        "DC",
        "FL",
        "GA",
        "HI",
        "ID",
        "IL",
        "IN",
        "IA",
        "KS",
        "KY",
        "LA",
        "ME",
        "MD",
        "MA",
        "MI",
        "MN",
        "MS",
        "MO",
        "MT",
        "NE",
        "NV",
        "NH",
        "NJ",
        "NM",
        "NY",
        "NC",
        "ND",
        "OH",
        "OK",
        "OR",
        "PA",
        "PR",
        "RI",
        "SC",
        "SD",
        "TN",
        "TX",
        "UT",
        "VT",
        "VA",
        "WA",
        "WV",
        "WI",
        "WY",
        "GU",
        "VI",
    ]
)

# A modifier (`-25`, `-RT`) may follow a procedure code; a longer tail means an ID or a ZIP+4.
_TAIL = r"(?:-[A-Z0-9]{2})?(?![\w/]|[.,]\d|-\w)"
# Each pattern starts with its first character class and checks what precedes it right after
# (`(?<!X.)`): sre then skips ahead with a fast scan instead of trying the lookbehind everywhere.
_CPT = re.compile(rf"(\d(?<![\w$/.,#-].)\d{{3}}[\dFTU]){_TAIL}")
_HCPCS = re.compile(rf"([A-EGHJ-MP-V](?<![\w$/.#-].)\d{{4}}){_TAIL}")
# A sentence-final period may follow a code; a period followed by more characters may not.
_ICD_DOTTED = re.compile(r"([A-Z](?<![\w.-].)\d[0-9A-Z])\.([0-9A-Z]{1,4})(?!\w|\.\w|-\w)")
_ICD_BARE = re.compile(r"([A-Z](?<![\w.-].)\d[0-9A-Z])([0-9A-Z]{1,4})?(?!\w|\.\w|-\w)")

_DX_LABEL = re.compile(
    r"\b(?:(?:diagnos[ie]s|diagnosis(?: code)?s?|dx|icd(?:-?10)?(?:-cm)?(?: codes?)?|reason for (?:the )?visit)\b"
    r"|(?:condition|why)(?=:|\s{2,}))",
    re.IGNORECASE,
)
_ID_LABEL = re.compile(
    r"(?:\b(?:id|no|number|num|claim|member|group|box|suite|ste|account|acct|ref|reference|batch|call|npi|tin|"
    r"tax|zip|policy|auth|authorization|memo|ticket|icn|dcn|fax|phone|tel|tty|room|unit|floor|apt)\.?|#)"
    r"\s*[:=#]?\s*$",
    re.IGNORECASE,
)
_SUGGESTED = re.compile(
    r"(?:\brecogni[sz]e[sd]?|\breplac\w*\b[^.]{0,40}?\bwith|\bshould (?:have )?(?:be(?:en)? )?"
    r"(?:billed|reported|coded|submitted)(?: as| with| using| under)?|\bcorrect (?:code|cpt|hcpcs|procedure code)"
    r"(?: is| would be)?|\b(?:use|rebill|report) (?:with |using |under )?(?:the )?(?:cpt|hcpcs|code)?|"
    r"\bappropriate code(?: is| would be)?|\bchange (?:it |the code )?to)"
    r"\W+(?:(?:cpt|hcpcs|code)\W+)?$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class CodeHit:
    code: str
    start: int
    end: int


@dataclass(frozen=True)
class ProcedureCodes:
    cpt: list[CodeHit]
    hcpcs: list[CodeHit]
    icd10: list[CodeHit]


def in_dx_context(doc: Doc, pos: int) -> bool:
    """True when a diagnosis label precedes `pos` on its line (or in its sentence, close by)."""
    line = doc.line(pos)
    window_start = max(line.start, pos - 70)
    before = doc.text[window_start:pos]
    if _DX_LABEL.search(before):
        return not re.search(r"\b(?:cpt|hcpcs|procedure|proc)\b", before[_last_dx(before) :], re.IGNORECASE)
    # A list continued on the next line: `Diagnoses: M54.5,` / `  M51.2`.
    if line.start > 0 and doc.text[line.start : pos].strip() == "":
        prev = doc.line(line.start - 1)
        prev_text = doc.text[prev.start : prev.end].rstrip()
        return prev_text.endswith(",") and bool(_DX_LABEL.search(prev_text))
    return False


def _last_dx(text: str) -> int:
    last = 0
    for m in _DX_LABEL.finditer(text):
        last = m.end()
    return last


def _looks_like_id(doc: Doc, start: int) -> bool:
    before = doc.text[max(0, doc.line(start).start, start - 24) : start]
    if _ID_LABEL.search(before):
        return True
    # `Red Butte, UT 84118`: a ZIP code after a state abbreviation.
    m = re.search(r"\b([A-Z]{2})\.?\s+$", before)
    return bool(m and m.group(1) in US_STATES)


def _suggested(doc: Doc, start: int) -> bool:
    sentence = doc.sentence(start)
    before = doc.text[max(sentence.start, start - 80) : start]
    return bool(_SUGGESTED.search(before))


def find_procedure_codes(doc: Doc, scope: Scope) -> ProcedureCodes:
    cpt = _collect(doc, scope, _CPT)
    hcpcs = _collect(doc, scope, _HCPCS)
    return ProcedureCodes(cpt=cpt, hcpcs=hcpcs, icd10=_find_icd(doc, scope))


def _collect(doc: Doc, scope: Scope, pattern: re.Pattern[str]) -> list[CodeHit]:
    # A code named only as the replacement to use is not a billed code; one also billed is kept.
    billed: dict[str, CodeHit] = {}
    for m in pattern.finditer(doc.text):
        start = m.start(1)
        if not scope.allows(start) or _looks_like_id(doc, start) or in_dx_context(doc, start):
            continue
        if not _suggested(doc, start):
            billed.setdefault(m.group(1), CodeHit(m.group(1), start, m.end(1)))
    return sorted(billed.values(), key=lambda h: h.start)


def _find_icd(doc: Doc, scope: Scope) -> list[CodeHit]:
    hits: dict[str, CodeHit] = {}
    for m in _ICD_DOTTED.finditer(doc.text):
        if scope.allows(m.start()):
            code = f"{m.group(1)}.{m.group(2)}"
            hits.setdefault(code, CodeHit(code, m.start(), m.end()))
    for m in _ICD_BARE.finditer(doc.text):
        if not scope.allows(m.start()) or not in_dx_context(doc, m.start()):
            continue
        code = m.group(1) + (f".{m.group(2)}" if m.group(2) else "")
        hits.setdefault(code, CodeHit(code, m.start(), m.end()))
    return sorted(hits.values(), key=lambda h: h.start)
