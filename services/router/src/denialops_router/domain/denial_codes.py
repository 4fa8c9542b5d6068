"""Denial codes: CARCs with their group (`CO-197`, bare `198`) and RARCs (`N56`, `M119`, `MA130`), in order.

Shapes come from the shared grammar (`denialops_shared.contracts.codes`); this module decides which
mentions are the claim's: in scope, not a diagnosis, a RARC only beside a CARC or a remark label, and
not only explained in a code legend when the claim's own lines were left out (another claim's codes).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from denialops_router.domain.carc_table import carc_info, rarc_info
from denialops_router.domain.codes import in_dx_context
from denialops_router.domain.scope import Scope
from denialops_router.domain.structure import fields
from denialops_router.domain.text import Doc
from denialops_shared.contracts.artifacts import DenialCode
from denialops_shared.contracts.codes import (
    CARC_REASON,
    CAS_SEGMENT,
    GROUPED_CARC,
    LABELLED_CARC,
    RARC,
    WORDED_CARC,
    cas_reasons,
)

_GROUP_WORD = re.compile(r"\b[Gg]roup(?: [Cc]ode)?\s*[:=]?\s*(CO|PR|OA|PI|CR)\b")
_RARC_CUE = re.compile(r"\b(?:remark|rarc|remarks|remark codes?)\b[^\n]{0,30}$", re.IGNORECASE)
# A field whose label names denial codes: `Reason code on the claim: 204`, `Denial codes: 16, 96`.
_CODE_LABEL = re.compile(r"\b(?:carc|reason codes?|denial codes?|adjustment (?:reason )?codes?|adj codes?)\b|reason$")
# `REASON 197 ALSO APPLIES`: the bare word names a code only before a known CARC of two or three digits
# (`Reason 1 (primary)` counts reasons).
_REASON_WORD = re.compile(r"\b[Rr](?:eason|EASON)\s+(\d{2,3})\b(?![.,]\d)")
_LEADING_REASONS = re.compile(rf"({CARC_REASON}(?:\s*(?:,|/|&|and)\s*{CARC_REASON})*)(?![\w]|-\d|[.,]\d)")
# A legend line explains a code: `CO-45  Charge exceeds fee schedule`, `N54 - Claim information ...`.
_LEGEND = re.compile(r"[ \t]*(?:(?:CO|PR|OA|PI|CR)[- ]?)?[A-Z]{0,2}\d{1,3}(?:\s{2,}|\s*[-:]\s+)[A-Za-z]")
_RARC_REACH = 160
_MAX_CARC = 400


@dataclass(frozen=True)
class CodeMention:
    code: DenialCode
    start: int
    end: int


def find_denial_codes(doc: Doc, scope: Scope) -> list[CodeMention]:
    found = _grouped(doc) + _labelled(doc)
    grouped_reasons = {c.code.reason for c in found if c.code.group}
    # `CARC 29` beside `CAS*CO*29`: the grouped mention says it all.
    found = [c for c in found if c.code.group or c.code.reason not in grouped_reasons]
    found += _rarcs(doc, [c.start for c in found])
    in_scope = [c for c in found if scope.allows(c.start)]
    if scope.excluded:
        # A code only explained in a legend, whose lines were all left out, is another claim's.
        left_out = {c.code.code for c in found if not scope.allows(c.start)}
        own = {c.code.code for c in in_scope if not _in_legend(doc, c.start)}
        in_scope = [c for c in in_scope if c.code.code in own or c.code.code not in left_out]
    in_scope.sort(key=lambda c: c.start)
    unique: dict[str, CodeMention] = {}
    for mention in in_scope:
        unique.setdefault(mention.code.code, mention)
    return list(unique.values())


def _grouped(doc: Doc) -> list[CodeMention]:
    out: list[CodeMention] = []
    for m in GROUPED_CARC.finditer(doc.text):
        reason = m.group(2).upper()
        if _plausible_carc(doc, reason, m.start(), hyphen=doc.text[m.start() + 2] == "-"):
            out.append(CodeMention(_carc(reason, m.group(1)), m.start(), m.end()))
    for m in WORDED_CARC.finditer(doc.text):
        out.append(CodeMention(_carc(m.group(2).upper(), m.group(1)), m.start(2), m.end(2)))
    for m in CAS_SEGMENT.finditer(doc.text):
        for reason in cas_reasons(m.group(2)):
            out.append(CodeMention(_carc(reason, m.group(1)), m.start(), m.end()))
    return out


def _labelled(doc: Doc) -> list[CodeMention]:
    """Bare CARCs named by code words: `reason code 198`, `Reason code on the claim: 204`."""
    lists: list[tuple[int, str]] = [(m.start(1), m.group(1)) for m in LABELLED_CARC.finditer(doc.text)]
    lists += [(m.start(1), m.group(1)) for m in _REASON_WORD.finditer(doc.text)]
    for field in fields(doc):
        if _CODE_LABEL.search(field.label):
            m = _LEADING_REASONS.match(doc.text, field.value_span.start, field.value_span.end)
            if m is not None:
                lists.append((m.start(1), m.group(1)))
    out: list[CodeMention] = []
    for start, items in lists:
        for item in re.finditer(CARC_REASON, items):
            pos = start + item.start()
            reason = item.group().upper()
            if carc_info(reason) is None:
                continue
            groups = list(_GROUP_WORD.finditer(doc.text, doc.line(pos).start, pos))
            group = groups[-1].group(1) if groups else None
            out.append(CodeMention(_carc(reason, group), pos, pos + len(reason)))
    return out


def _rarcs(doc: Doc, carc_positions: list[int]) -> list[CodeMention]:
    out: list[CodeMention] = []
    for m in RARC.finditer(doc.text):
        start = m.start()
        if in_dx_context(doc, start):
            continue
        sentence = doc.sentence(start)
        near_carc = any(sentence.start <= p < start and start - p < _RARC_REACH for p in carc_positions)
        line = doc.line(start)
        cue = bool(_RARC_CUE.search(doc.text[max(line.start, start - 40) : start]))
        if near_carc or cue:
            info = rarc_info(m.group(1))
            code = DenialCode(code=m.group(1), kind="rarc", reason=m.group(1), description=info[0] if info else None)
            out.append(CodeMention(code, start, m.end()))
    return out


def _in_legend(doc: Doc, pos: int) -> bool:
    line = doc.line(pos)
    return bool(_LEGEND.match(doc.text, line.start, line.end)) and doc.text[line.start : pos].strip() == ""


def _plausible_carc(doc: Doc, reason: str, start: int, *, hyphen: bool) -> bool:
    """A group code plus a known CARC is a code; so is `CO-288`; an unknown number needs code words nearby."""
    if carc_info(reason) is not None:
        return True
    if not reason.isdigit() or int(reason) >= _MAX_CARC:
        return False
    before = doc.lower[max(0, start - 40) : start]
    return hyphen or bool(re.search(r"code|adj|denial|carc|reason", before))


def _carc(reason: str, group: str | None) -> DenialCode:
    info = carc_info(reason)
    return DenialCode(
        code=f"{group}-{reason}" if group else reason,
        kind="carc",
        group=group,
        reason=reason,
        description=info[0] if info else None,
    )
