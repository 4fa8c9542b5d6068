"""Which parts of a statement belong to the denied claim.

Statements and EOBs can list several claims; codes, amounts and dates of a claim that was paid
(or of an earlier, separate claim) must not leak into the facts of the denied one. Claims are found
in the letter's structure: claim-number fields start a claim's block, a table's claim column groups
its rows, and a sentence that names only another claim is about that claim.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from denialops_router.domain.layout import reading_pieces
from denialops_router.domain.structure import fields
from denialops_router.domain.tables import Row, Table, tables
from denialops_router.domain.text import Doc, Span

# A claim number: letters/digits with at least 5 digits, hyphens allowed.
CLAIM_ID = r"[A-Z0-9]*\d[A-Z0-9]*(?:-[A-Z0-9]+)*"
# What a claim number looks like once a label names it (`HB-25-0303-44180`; at least 5 digits, checked apart).
_ID_SHAPE = r"[A-Z0-9]+(?:-[A-Z0-9]+)*"
_CLAIM_LABEL = re.compile(r"^(?:re: )?(?:claim|clm|icn|dcn|tcn)(?: ?(?:no|nbr|num|number|#|id|ref))?$")
_CLAIM_HEADER = re.compile(
    rf"^[ \t*>#-]*(?:claim|icn|claim number|claim no\.?|claim #)\s*[:#]?\s*(?P<id>{_ID_SHAPE})\b",
    re.IGNORECASE | re.MULTILINE,
)
_ID = re.compile(_ID_SHAPE)
# A claim named in a sentence: `claim HB-25-0303-44179 ... was paid`.
_NAMED = re.compile(rf"claim(?<!\wclaim)(?: (?:no\.?|number|#))?\s*#?\s*(?P<id>{_ID_SHAPE})", re.IGNORECASE)
_DENIED = re.compile(
    r"\b(?:denied|denial|not (?:paid|covered|payable|allowed)|rejected|non-?covered|deny)\b|"
    r"\b(?:paid|allowed|approved(?: amount)?)\W{0,3}\$?0\.00\b",
    re.IGNORECASE,
)
_MONEY = re.compile(r"\$?\s?(\d[\d,]*\.\d{2})")
_CARC = re.compile(r"\b(?:CO|PR|OA|PI|CR)[- ]?(\d{1,3})\b")
# Adjustments on a paid line: contractual write-down, the patient's deductible, coinsurance, copay.
_ROUTINE = frozenset({"45", "1", "2", "3", "253"})


@dataclass
class Scope:
    """Ranges of the text that describe some other claim than the denied one, and, on a statement of
    several claims, the ranges that are the denied claim's own (its block, its table rows)."""

    excluded: list[Span] = field(default_factory=list)
    claim: list[Span] = field(default_factory=list)

    def allows(self, pos: int) -> bool:
        return not any(s.start <= pos < s.end for s in self.excluded)

    def in_claim(self, pos: int) -> bool:
        return any(s.start <= pos < s.end for s in self.claim)


def find_scope(doc: Doc) -> Scope:
    """The denied claim's parts of the letter (cached on the Doc: extraction and routing both ask)."""
    return doc.memo(_find_scope)


def _find_scope(doc: Doc) -> Scope:
    excluded: list[Span] = []
    denied_ids: set[str] = set()
    other_ids: set[str] = set()
    claim: list[Span] = []
    for table in tables(doc):
        groups = _claim_groups(doc, table)
        if len(groups) < 2:
            continue
        denied = {claim for claim, rows in groups.items() if any(_row_denied(doc, table, r) for r in rows)}
        if denied:
            denied_ids |= denied
            other_ids |= set(groups) - denied
            for key, rows in groups.items():
                (claim if key in denied else excluded).extend(r.span for r in rows)
    blocks = _blocks(doc)
    if len({claim for claim, _ in blocks}) >= 2:
        denied_blocks = {key for key, spans in blocks if _block_denied(doc, spans)}
        if denied_blocks:
            denied_ids |= denied_blocks
            for key, spans in blocks:
                if key in denied_blocks:
                    claim.extend(spans)
                else:
                    other_ids.add(key)
                    excluded.extend(spans)
    elif len(blocks) == 1 and not denied_ids:
        denied_ids.add(blocks[0][0])
    if denied_ids:
        excluded += _sentences_about_others(doc, denied_ids)
        excluded += _cells_about_others(doc, denied_ids, other_ids - denied_ids)
    return Scope(excluded, claim)


def _block_denied(doc: Doc, spans: list[Span]) -> bool:
    """Denial wording or a denial code in a claim's block, or a table of it that paid nothing on a charge."""
    text = "\n".join(doc.text[s.start : s.end] for s in spans)
    if _DENIED.search(text) or _has_denial_code(text):
        return True
    return any(
        _unpaid(doc, table, row)
        for table in tables(doc)
        if any(s.start <= table.span.start < s.end for s in spans)
        for row in table.rows
    )


def _unpaid(doc: Doc, table: Table, row: Row) -> bool:
    billed = _amount(doc, table.cell(row, "billed"))
    paid = _amount(doc, table.cell(row, "paid"))
    return billed is not None and paid is not None and billed > 0 and paid == 0


def _amount(doc: Doc, cell: tuple[Span, ...]) -> Decimal | None:
    m = _MONEY.search(doc.text, cell[0].start, cell[0].end) if cell else None
    return Decimal(m.group(1).replace(",", "")) if m else None


def _claim_groups(doc: Doc, table: Table) -> dict[str, list[Row]]:
    """A table's rows by claim: the number in its claim column (a totals row goes with its claim), else,
    in a report with a status per row, the patient the row is for (a rejected claim may have no number).

    A row that leaves the claim column empty goes on with the claim above (a report grouped by claim
    prints the number on its first line only)."""
    groups: dict[str, list[Row]] = {}
    claim_index = table.column("claim number")
    by_patient = table.column("status") is not None
    last: str | None = None
    for row in table.rows:
        cell = row.cells[claim_index] if claim_index is not None else ()
        m = _ID.search(doc.text, cell[0].start, cell[0].end) if cell else None
        patient = table.cell(row, "patient") if by_patient else ()
        if m is not None and _digits(m.group()) >= 5:
            last = m.group()
        elif patient:
            last = " ".join(doc.text[p.start : p.end] for p in patient)
        elif claim_index is None or cell or last is None:
            continue
        groups.setdefault(last, []).append(row)
    return groups


def _row_denied(doc: Doc, table: Table, row: Row) -> bool:
    status = " ".join(doc.text[p.start : p.end] for p in table.cell(row, "status"))
    if status:
        return bool(_DENIED.search(status))
    return any(
        _has_denial_code(doc.text[p.start : p.end]) for role in ("carc", "group code") for p in table.cell(row, role)
    )


def _has_denial_code(text: str) -> bool:
    """A denial code other than the routine adjustments of a paid line."""
    return any(m.group(1) not in _ROUTINE for m in _CARC.finditer(text))


def _blocks(doc: Doc) -> list[tuple[str, list[Span]]]:
    """One block per claim named by a claim-number field or header, from its line to the next claim's,
    in reading order (a page's flattened second column is read after its first: `layout.py`)."""
    pieces = reading_pieces(doc)
    mentions: list[tuple[int, str]] = []
    for f in fields(doc):
        if _CLAIM_LABEL.match(f.label):
            m = _ID.match(doc.text, f.value_span.start, f.value_span.end)
            if m is not None and _digits(m.group()) >= 5:
                mentions.append((f.label_span.start, m.group()))
    for m in _CLAIM_HEADER.finditer(doc.text):
        if _digits(m.group("id")) >= 5:
            mentions.append((m.start("id"), m.group("id")))
    starts = sorted({(_piece_at(pieces, pos), claim) for pos, claim in mentions})
    merged: list[tuple[int, str]] = []
    for index, claim in starts:
        if not merged or merged[-1][1] != claim:
            merged.append((index, claim))
    blocks: list[tuple[str, list[Span]]] = []
    for i, (index, claim) in enumerate(merged):
        end = merged[i + 1][0] if i + 1 < len(merged) else _block_end(doc, pieces, index)
        blocks.append((claim, _joined(pieces[index : max(index + 1, end)])))
    return blocks


def _piece_at(pieces: list[Span], pos: int) -> int:
    return next((i for i, p in enumerate(pieces) if p.start <= pos <= p.end), 0)


def _joined(pieces: list[Span]) -> list[Span]:
    """Pieces that follow each other line by line make one span."""
    out: list[Span] = []
    for piece in pieces:
        if out and out[-1].end + 1 >= piece.start >= out[-1].end:
            out[-1] = Span(out[-1].start, piece.end)
        else:
            out.append(piece)
    return out


def _sentences_about_others(doc: Doc, denied: set[str]) -> list[Span]:
    """Sentences that name another claim and not the denied one (`claim 44179 ... was paid`)."""
    out: list[Span] = []
    for m in _NAMED.finditer(doc.text):
        claim = m.group("id")
        if claim in denied or _digits(claim) < 5:
            continue
        sentence = doc.sentence(m.start())
        if not any(d in doc.text[sentence.start : sentence.end] for d in denied):
            # A statement without full stops is one long "sentence": keep to the mention's lines.
            line = doc.line(m.start())
            last = doc.line(min(len(doc.text), line.end + 1))
            out.append(Span(max(sentence.start, line.start), min(sentence.end, doc.line(last.end + 1).end)))
    return out


def _cells_about_others(doc: Doc, denied: set[str], others: set[str]) -> list[Span]:
    """Cells that name another claim and not the denied one (`FH-0219-70113 H40.013 | FH-0224-70389 Z01.00`)."""
    out: list[Span] = []
    for claim in others:
        pos = doc.text.find(claim)
        while pos >= 0:
            cell = next((c for c in doc.cells(doc.line(pos)) if c.start <= pos < c.end), None)
            if cell is not None and not any(d in doc.text[cell.start : cell.end] for d in denied):
                sentence = doc.sentence(pos)
                out.append(Span(max(cell.start, sentence.start), min(cell.end, sentence.end)))
            pos = doc.text.find(claim, pos + len(claim))
    return out


def _digits(text: str) -> int:
    return sum(ch.isdigit() for ch in text)


def _block_end(doc: Doc, pieces: list[Span], index: int) -> int:
    """The last listed claim ends at the first blank piece after it, or after the table it opens."""
    end = _blank_piece(doc, pieces, index)
    for table in tables(doc):
        # `Claim no. X` / `Provider: ...`, a blank line, then the claim's line table.
        first = _piece_at(pieces, table.span.start)
        if end <= first <= end + 2:
            end = _blank_piece(doc, pieces, _piece_at(pieces, table.span.end))
    return end


def _blank_piece(doc: Doc, pieces: list[Span], index: int) -> int:
    return next(
        (i for i in range(index, len(pieces)) if not doc.text[pieces[i].start : pieces[i].end].strip()), len(pieces)
    )
