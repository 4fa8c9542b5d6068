"""Which parts of a statement belong to the denied claim.

Statements and EOBs can list several claims; codes, amounts and dates of a claim that was paid
(or of an earlier, separate claim) must not leak into the facts of the denied one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from denialops_router.domain.text import Doc, Span

# A claim number: letters/digits with at least 5 digits, hyphens allowed.
CLAIM_ID = r"[A-Z0-9]*\d[A-Z0-9]*(?:-[A-Z0-9]+)*"
_CLAIM_HEADER = re.compile(
    rf"^[ \t*>#-]*(?:claim|icn|claim number|claim no\.?|claim #)\s*[:#]?\s*(?P<id>{CLAIM_ID})\b",
    re.IGNORECASE | re.MULTILINE,
)
_DENIED = re.compile(
    r"\b(?:denied|denial|not paid|not covered|rejected|deny|CO[- ]?\d|PR[- ]?\d|OA[- ]?\d)", re.IGNORECASE
)
_PAID = re.compile(r"\b(?:status:?\s*paid|paid in full|processed as billed|approved)\b", re.IGNORECASE)


@dataclass
class Scope:
    """Ranges of the text that describe some other claim than the denied one."""

    excluded: list[Span] = field(default_factory=list)

    def allows(self, pos: int) -> bool:
        return not any(s.start <= pos < s.end for s in self.excluded)


def find_scope(doc: Doc) -> Scope:
    """Split the text at claim headers; when several claims are listed, drop the ones not denied."""
    headers = [m for m in _CLAIM_HEADER.finditer(doc.text) if len(re.sub(r"\D", "", m.group("id"))) >= 5]
    ids = {m.group("id") for m in headers}
    if len(ids) < 2:
        return Scope()
    blocks: list[tuple[Span, bool, bool]] = []
    for i, m in enumerate(headers):
        end = headers[i + 1].start() if i + 1 < len(headers) else _block_end(doc, m.end())
        body = doc.text[m.start() : end]
        blocks.append((Span(m.start(), end), bool(_DENIED.search(body)), bool(_PAID.search(body))))
    if not any(denied for _, denied, _ in blocks):
        return Scope()
    return Scope([span for span, denied, paid in blocks if paid and not denied])


def _block_end(doc: Doc, pos: int) -> int:
    """A listed claim ends at the first blank line after it."""
    m = re.compile(r"\n\s*\n").search(doc.text, pos)
    return m.start() if m else len(doc.text)
