"""CPT, HCPCS Level II and ICD-10-CM codes of the claim: the shared grammar's shapes, kept or left out by
the words around them (a diagnosis label, an identifier's label, a suggested replacement)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from denialops_router.domain.labelled import normalise_label
from denialops_router.domain.scope import Scope
from denialops_router.domain.structure import Field, fields
from denialops_router.domain.tables import tables
from denialops_router.domain.text import Doc, Span
from denialops_shared.contracts.codes import CPT, HCPCS, ICD10, ocr_code

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

_DX_LABEL = re.compile(
    r"\b(?:(?:diagnos[ie]s|diagnosis(?: code)?s?|dx|icd(?:-?10)?(?:-cm)?(?: codes?)?|reason for (?:the )?visit)\b"
    r"|(?:condition|why)(?=:|\s{2,}))",
    re.IGNORECASE,
)
_SHORT_VALUE = 60
_CODE_CUE = re.compile(r"\b(?:cpt|hcpcs|cdt|code|proc(?:edure)?)\W*$", re.IGNORECASE)
# `GDI 33019 4720`: a number followed by more digit groups is one identifier.
_SPACED_ID_TAIL = re.compile(r" \d{3,}\b(?![.,/:]\d)")
_ID_LABEL = re.compile(
    r"(?:\b(?:id|no|number|num|claim|member|group|grp|box|suite|ste|account|acct|ref|reference|batch|call|npi|"
    r"tin|tax|zip|policy|auth|authorization|memo|ticket|icn|dcn|fax|phone|tel|tty|room|unit|floor|apt|tp|mrn|"
    r"mbr|ctl|trace)\.?|#)"
    r"\s*[:=#]?\s*$",
    re.IGNORECASE,
)
_SUGGESTED = re.compile(
    r"(?:\brecogni[sz]e[sd]?|\breplac\w*\b[^.]{0,40}?\bwith|\bshould (?:have )?(?:be(?:en)? )?"
    r"(?:billed|reported|coded|submitted)(?: as| with| using| under)?|\bcorrect (?:code|cpt|hcpcs|procedure code)"
    r"(?: is| would be)?|\b(?:use|rebill|report) (?:with |using |under )?(?:the )?(?:cpt|hcpcs|code)?|"
    r"\bappropriate code(?: is| would be)?|"
    r"\bchange (?:it |the (?:code|order|drug|prescription|request) )?to(?:\s+[A-Za-z][\w-]*){0,2}|"
    # Guidance, not this claim: `are reported with H0035`, `a valid code (e.g. 99202)`, `(for example
    # CPT 95806)`, the plan's `preferred` product (`the preferred biosimilar, Inflectra (HCPCS Q5103)`).
    r"\b(?:is|are|be) (?:usually |typically |normally |generally |commonly )?(?:reported|billed|coded) "
    r"(?:with|as|using|under)|\bcodes?\b[^.;]{0,50}?\((?:such as|e\.g\.?|for example|like)|"
    r"\bcodes?\b[^.;]{0,50}?\b(?:such as|e\.g\.|for example)|\b(?:for example|for instance|e\.g\.),?|"
    r"\bpreferred\b[^.;]{0,60}?)"
    # ... and each code of a list after the cue (`for example D6240/D6750 or D5213`).
    r"\W+(?:(?:cpt|hcpcs|code)\W+)?(?:(?:[A-Z]\d{4}|\d{4}[\dFTU])(?:/|,\s*|\s+(?:or|and)\s+))*$",
    re.IGNORECASE,
)
# A field whose label names a party or an identifier holds no billed code (`Member no.: GDI 33019 4720`,
# `Group: Staff Plan (GRP 20931)`, `Trading partner: ... (TP 00871)`).
_PARTY_LABEL = re.compile(
    r"\b(?:id|no|nbr|num|number|member|subscriber|insured|group|grp|plan|partner|payee|payer|account|acct|"
    r"npi|tin|tax|zip|address|phone|fax|tel|policy|batch|trace|check|eft|invoice|control|ctl|ref|reference)\b"
)

# Fields whose value is the claim's codes (OCR reading, `_ocr_slots`): billed services or procedures, and
# diagnoses. A label that names a date, an amount or a denial reason holds no billed code.
_PROCEDURE_FIELD = re.compile(
    r"\b(?:cpt|hcpcs|cdt|proc(?:edure)?s?|services?|procedure codes?|service codes?|codes? billed|billed codes?)\b"
)
_DX_FIELD = re.compile(r"\b(?:diagnos[ie]s|diagnosis(?: codes?)?|dx|icd(?:-?10)?(?:-cm)?(?: codes?)?)\b")
_NO_CODE_FIELD = re.compile(
    r"\b(?:date|dates|dos|amount|amt|charge|charges|total|reason|denial|adj\w*|group|type|place)\b"
)
# A code-shaped token at the start of a list item, with the space OCR may leave after a dot (`Z00. 00`).
_SLOT_TOKEN = re.compile(r"\s*\(?([0-9A-Za-z|]{3,5}(?:\. ?[0-9A-Za-z]{1,4})?)(?=[\s,;)]|$)")
_TABLE_KINDS: dict[str, tuple[str, ...]] = {"procedure code": ("cpt", "hcpcs"), "diagnosis": ("icd10",)}


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
    # The label must be in the code's own cell: `| dx F11.20 | ... | CO-109, N418` is no diagnosis list.
    window_start = max(line.start, pos - 70, doc.text.rfind("|", line.start, pos) + 1)
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


def _looks_like_id(doc: Doc, start: int, end: int) -> bool:
    before = doc.text[max(0, doc.line(start).start, start - 24) : start]
    if _ID_LABEL.search(before) or _SPACED_ID_TAIL.match(doc.text, end):
        return True
    field = _field_at(doc, start)
    if field is not None and _PARTY_LABEL.search(field.label) and len(field.value(doc)) <= _SHORT_VALUE:
        # Unless the value names it a code: `Agent (Member Services): billed as CPT 99214`.
        return not _CODE_CUE.search(doc.text, max(field.value_span.start, start - 12), start)
    # `Red Butte, UT 84118`: a ZIP code after a state abbreviation.
    m = re.search(r"\b([A-Z]{2})\.?\s+$", before)
    return bool(m and m.group(1) in US_STATES)


def _field_at(doc: Doc, pos: int) -> Field | None:
    return next((f for f in fields(doc) if f.value_span.start <= pos < f.value_span.end), None)


def _suggested(doc: Doc, start: int) -> bool:
    sentence = doc.sentence(start)
    before = doc.text[max(sentence.start, start - 80) : start]
    return bool(_SUGGESTED.search(before))


def find_procedure_codes(doc: Doc, scope: Scope, ocr: bool = False) -> ProcedureCodes:
    """The claim's codes; on a letter read by OCR, also those OCR misspelt where the layout puts a code."""
    codes = ProcedureCodes(
        cpt=_collect(doc, scope, CPT), hcpcs=_collect(doc, scope, HCPCS), icd10=_find_icd(doc, scope)
    )
    return _with_ocr_readings(doc, scope, codes) if ocr else codes


def _with_ocr_readings(doc: Doc, scope: Scope, codes: ProcedureCodes) -> ProcedureCodes:
    """Add the codes of code slots the grammar could not read as printed (`GO299`, `291.81`, `Z00. 00`).

    A slot's token is read as each code kind its slot admits; it counts only when exactly one kind
    reads it, so a token two grammars could both take (`SO299`: S0299 or 50299) stays unread.
    """
    found = {"cpt": list(codes.cpt), "hcpcs": list(codes.hcpcs), "icd10": list(codes.icd10)}
    for span, kinds in doc.memo(_ocr_slots):
        if not scope.allows(span.start) or _suggested(doc, span.start):
            continue
        token = doc.text[span.start : span.end]
        readings = {kind: code for kind in kinds if (code := ocr_code(token, kind))}
        if len(readings) != 1:
            continue
        ((kind, code),) = readings.items()
        hits = found[kind]
        # The printed reading of the same token is a truncated one (`Z00` of `Z00. 00`): the repair replaces it.
        hits[:] = [h for h in hits if not span.start <= h.start < span.end]
        if all(h.code != code for h in hits):
            hits.append(CodeHit(code, span.start, span.end))
    return ProcedureCodes(*(sorted(found[kind], key=lambda h: h.start) for kind in ("cpt", "hcpcs", "icd10")))


def _ocr_slots(doc: Doc) -> list[tuple[Span, tuple[str, ...]]]:
    """Where the layout says a code stands, with the kinds it may be: the leading token of each item of a
    procedure, service or diagnosis field, and the cells of a table's procedure-code and diagnosis columns."""
    slots: list[tuple[Span, tuple[str, ...]]] = []
    for found in fields(doc):
        label = normalise_label(found.label)
        if _NO_CODE_FIELD.search(label):
            continue
        kinds: tuple[str, ...] = (
            ("icd10",) if _DX_FIELD.search(label) else ("cpt", "hcpcs") if _PROCEDURE_FIELD.search(label) else ()
        )
        if kinds:
            slots += [(span, kinds) for span in _item_tokens(doc, found.value_span)]
    for table in tables(doc):
        for index, column in enumerate(table.columns):
            kinds = _TABLE_KINDS.get(column.role or "", ())
            for row in table.rows if kinds else ():
                slots += [(span, kinds) for piece in row.cells[index] for span in _item_tokens(doc, piece)]
    return slots


def _item_tokens(doc: Doc, value: Span) -> list[Span]:
    """The code-shaped token that begins each comma- or semicolon-separated item of a value."""
    out = []
    start = value.start
    for end in [*(m.start() for m in re.finditer(r"[,;](?!\d)", doc.text[value.start : value.end])), None]:
        stop = value.end if end is None else value.start + end
        m = _SLOT_TOKEN.match(doc.text, start, stop)
        if m:
            out.append(Span(m.start(1), m.end(1)))
        start = stop + 1
    return out


def _collect(doc: Doc, scope: Scope, pattern: re.Pattern[str]) -> list[CodeHit]:
    # A code named only as the replacement to use is not a billed code; one also billed is kept.
    billed: dict[str, CodeHit] = {hit.code: hit for hit in _table_cell_codes(doc, scope, pattern)}
    edits = doc.memo(_edit_code_cells)
    for m in pattern.finditer(doc.text):
        start, end = m.start(1), m.end(1)
        if not scope.allows(start) or _looks_like_id(doc, start, end) or in_dx_context(doc, start):
            continue
        if any(s.start <= start < s.end for s in edits):
            continue
        if not _suggested(doc, start):
            billed.setdefault(m.group(1), CodeHit(m.group(1), start, end))
    return sorted(billed.values(), key=lambda h: h.start)


def _table_cell_codes(doc: Doc, scope: Scope, pattern: re.Pattern[str]) -> list[CodeHit]:
    """The code that opens each cell of a table's procedure-code column, read from the cell alone.

    The column says a code stands there, so what borders the cell (`,99214,` in an exported CSV) does not
    make it part of an amount or an identifier.
    """
    hits: list[CodeHit] = []
    for table in tables(doc):
        index = table.column("procedure code")
        if index is None:
            continue
        for row in table.rows:
            for piece in row.cells[index]:
                m = pattern.match(doc.text[piece.start : piece.end])
                if m and scope.allows(piece.start):
                    hits.append(CodeHit(m.group(1), piece.start + m.start(1), piece.start + m.end(1)))
    return hits


def _edit_code_cells(doc: Doc) -> list[Span]:
    """The cells of a table's edit-code column (`Edit | E1042 | Billing NPI missing`)."""
    out: list[Span] = []
    for table in tables(doc):
        index = table.column("edit code")
        if index is not None:
            out += [piece for row in table.rows for piece in row.cells[index]]
    return out


def _find_icd(doc: Doc, scope: Scope) -> list[CodeHit]:
    """A dotted code is a diagnosis wherever it stands; one without its dot only after a diagnosis label."""
    hits: dict[str, CodeHit] = {}
    for m in ICD10.finditer(doc.text):
        dotted = bool(m.group(2) and m.group(3))
        if not scope.allows(m.start()) or _suggested(doc, m.start()):
            continue
        if not dotted and not in_dx_context(doc, m.start()):
            continue
        code = m.group(1) + (f".{m.group(3)}" if m.group(3) else "")
        hits.setdefault(code, CodeHit(code, m.start(), m.end(3) if m.group(3) else m.end(1)))
    return sorted(hits.values(), key=lambda h: h.start)
