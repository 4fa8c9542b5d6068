"""Denial codes: CARCs with their group (`CO-197`, bare `198`) and RARCs (`N56`, `M119`, `MA130`)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from denialops_router.domain.carc_table import carc_info, rarc_info
from denialops_router.domain.codes import in_dx_context
from denialops_router.domain.scope import Scope
from denialops_router.domain.text import Doc
from denialops_shared.contracts.artifacts import DenialCode

_REASON = r"[A-Z]?\d{1,3}"
# The group comes first and the lookbehind after it, so the pattern starts with a literal (a fast scan).
_GROUPED = re.compile(
    rf"(CO|PR|OA|PI|CR)(?<![\w-]..)\s?[-:/ ]\s?({_REASON})(?![\w]|-\d|[.,]\d)|"
    rf"(CO|PR|OA|PI|CR)(?<![\w-]..)({_REASON})(?![\w]|-\d|[.,]\d)"
)
_CODE_WORDS = (
    r"(?:carc|claim adjustment reason code|adjustment reason code|reason code|denial code|adjustment code|"
    r"adj(?:ustment)? reason|reason)"
)
_LABELLED = re.compile(
    rf"\b{_CODE_WORDS}s?\s*[:#=]?\s*({_REASON}(?:\s*(?:,|/|&|and)\s*{_REASON})*)(?![\w]|-\d|[.,]\d)",
    re.IGNORECASE,
)
_GROUP_WORD = re.compile(r"\b[Gg]roup(?: [Cc]ode)?\s*[:=]?\s*(CO|PR|OA|PI|CR)\b[^\n]{0,40}$")
# Starts with a literal and checks the character before it afterwards, so sre can skip ahead quickly.
_RARC = re.compile(r"(M(?<![\w.-].)(?:A\d{2,3}|\d{1,3})|N(?<![\w.-].)\d{1,3})(?!\w|\.\w|-\d)")
_RARC_CUE = re.compile(r"\b(?:remark|rarc|remarks|remark codes?)\b[^\n]{0,30}$", re.IGNORECASE)


@dataclass(frozen=True)
class CodeMention:
    code: DenialCode
    start: int
    end: int


def find_denial_codes(doc: Doc, scope: Scope) -> list[CodeMention]:
    found: list[CodeMention] = []
    for m in _GROUPED.finditer(doc.text):
        group = m.group(1) or m.group(3)
        reason = (m.group(2) or m.group(4)).upper()
        if scope.allows(m.start()) and _plausible_carc(doc, reason, m.start()):
            found.append(CodeMention(_carc(reason, group), m.start(), m.end()))
    grouped_spans = [(c.start, c.end) for c in found]
    for m in _LABELLED.finditer(doc.text):
        if not scope.allows(m.start()):
            continue
        for item in re.finditer(_REASON, m.group(1)):
            start = m.start(1) + item.start()
            reason = item.group().upper()
            if any(s <= start < e for s, e in grouped_spans) or carc_info(reason) is None:
                continue
            before = doc.text[doc.line(start).start : start]
            group_m = _GROUP_WORD.search(before)
            group = group_m.group(1) if group_m else None
            found.append(CodeMention(_carc(reason, group), start, start + len(reason)))
    carc_positions = [c.start for c in found]
    for m in _RARC.finditer(doc.text):
        start = m.start()
        if not scope.allows(start) or in_dx_context(doc, start):
            continue
        line = doc.line(start)
        near_carc = any(line.start <= p < start and start - p < 80 for p in carc_positions)
        cue = bool(_RARC_CUE.search(doc.text[max(line.start, start - 40) : start]))
        if near_carc or cue:
            info = rarc_info(m.group(1))
            code = DenialCode(code=m.group(1), kind="rarc", reason=m.group(1), description=info[0] if info else None)
            found.append(CodeMention(code, start, m.end()))
    found.sort(key=lambda c: c.start)
    unique: dict[str, CodeMention] = {}
    for mention in found:
        unique.setdefault(mention.code.code, mention)
    return list(unique.values())


def _plausible_carc(doc: Doc, reason: str, start: int) -> bool:
    """A group code plus a known CARC is a code; an unknown number needs code wording nearby."""
    if carc_info(reason) is not None:
        return True
    before = doc.lower[max(0, start - 40) : start]
    return reason.isdigit() and int(reason) < 300 and bool(re.search(r"code|adj|denial|carc|reason", before))


def _carc(reason: str, group: str | None) -> DenialCode:
    info = carc_info(reason)
    return DenialCode(
        code=f"{group}-{reason}" if group else reason,
        kind="carc",
        group=group,
        reason=reason,
        description=info[0] if info else None,
    )
