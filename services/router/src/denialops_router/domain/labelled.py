"""Values read by the role of their label: key-value fields and table columns (see `structure`, `tables`).

Each caller names a role with a pattern over normalised labels (`member id`, `claim #`, `patient name`);
this module finds the values, keeps those inside the denied claim's scope, and orders table rows so
the denied row comes first.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass

from denialops_router.domain.scope import Scope
from denialops_router.domain.structure import Field, fields
from denialops_router.domain.tables import Row, Table, tables
from denialops_router.domain.text import Doc, Span

_DENIED_ROW = re.compile(r"\b(?:denied|denial|rejected|reject|not covered|not paid|deny)\b", re.IGNORECASE)
_PAID_ROW = re.compile(r"\b(?:paid|approved|processed)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Labelled:
    label: str  # normalised
    value: Span
    label_span: Span


# Letters share most labels (`member id`, `claim #`): each spelling is normalised once.
@functools.lru_cache(maxsize=4096)
def normalise_label(label: str) -> str:
    """`Enrollee's name` -> `enrollee`, `Patient (NM1*QC)` -> `patient`, `Member ID #` -> `member id`."""
    text = re.sub(r"\([^)]*\)", " ", label.lower())
    text = re.sub(r"'s\b|[_*]", " ", text)
    text = re.sub(r"[:#.=]+$", "", " ".join(text.split())).strip()
    return re.sub(r"\s*#$", "", text)


def labelled(doc: Doc, scope: Scope, role: re.Pattern[str]) -> Iterator[Labelled]:
    """Key-value fields whose normalised label is the role, in reading order, inside the scope."""
    for found, label, parts in doc.memo(_field_labels):
        if any(role.fullmatch(part) for part in parts) and scope.allows(found.value_span.start):
            yield Labelled(label, found.value_span, found.label_span)


def column_values(doc: Doc, scope: Scope, role: re.Pattern[str]) -> Iterator[Labelled]:
    """For each table column whose header is the role, its cell in the denied row (else the first row)."""
    for table in tables(doc):
        for index, column in enumerate(table.columns):
            if not _is_role(role, normalise_label(column.name)):
                continue
            rows = [r for r in table.rows if not r.total and scope.allows(r.span.start)]
            # The denied row's own cell, even when empty: another row's value belongs to another claim;
            # but a row that leaves the leading column empty goes on with the row above it.
            row = min(rows, key=lambda r: _row_rank(doc, table, r)) if rows else None
            cell = _carried_cell(table, row, index) if row else ()
            if cell:
                yield Labelled(normalise_label(column.name), Span(cell[0].start, cell[-1].end), column.span)


def _carried_cell(table: Table, row: Row, index: int) -> tuple[Span, ...]:
    """The row's cell of the column; a report grouped by claim prints the leading columns (patient, claim)
    on the group's first line only, so a line that leaves the leading column empty takes them from there."""
    position = table.rows.index(row)
    while not row.cells[index] and not row.cells[0] and position > 0:
        position -= 1
        row = table.rows[position]
        if row.total:
            return ()
    return row.cells[index]


def _is_role(role: re.Pattern[str], label: str) -> bool:
    return any(role.fullmatch(part) for part in _parts(label))


def _parts(label: str) -> tuple[str, ...]:
    """Bilingual labels print both languages: `member / miembro`, `claim no. / num. de reclamo`; a note's
    label follows its sentence (`verified prov tin + npi. mbr`); OCR reads `m` as `rn` (`clairn #`)."""
    parts = (label, *label.split("/"), label.rsplit(". ", 1)[-1])
    if "rn" in label:
        parts = (*parts, *(part.replace("rn", "m") for part in parts))
    return tuple(part.strip() for part in parts)


def _field_labels(doc: Doc) -> list[tuple[Field, str, tuple[str, ...]]]:
    """Each field with its normalised label and the label's parts, read once per letter (every role asks)."""
    out = []
    for found in fields(doc):
        label = normalise_label(found.label)
        out.append((found, label, _parts(label)))
    return out


def _row_rank(doc: Doc, table: Table, row: Row) -> int:
    """Denied rows first: a denial word, else nothing paid; rows that were paid last."""
    text = doc.text[row.span.start : row.span.end]
    if _DENIED_ROW.search(text):
        return 0
    paid = table.cell(row, "paid")
    digits = re.sub(r"[^\d.]", "", " ".join(doc.text[p.start : p.end] for p in paid))
    if digits and re.fullmatch(r"0*\.?0*", digits):
        return 0
    return 2 if digits or _PAID_ROW.search(text) else 1
