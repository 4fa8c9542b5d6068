"""The letter's layout: key-value fields, read once per letter so every extractor reads values by label.

Table headers and rows (`tables.py`) are not fields: a row's cells are read by their column's role.

A field owner keeps its own label vocabulary (which labels mean member id, date of service, ...) and
looks values up in `fields(doc)`; this module only knows what a label and a value look like.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from denialops_router.domain.tables import table_lines
from denialops_router.domain.text import Doc, Span


@dataclass(frozen=True)
class Field:
    """One key-value pair of the document."""

    label: str  # lower-cased, whitespace folded, trailing ':#.=' stripped ("claim no")
    label_span: Span
    value_span: Span  # the value's text, stripped
    # How label and value were joined: ":" (also `#`), "=", "..." (dot leader), "  " (a cell of its own,
    # after 2+ spaces or a pipe), " " (one space before a value with a digit), "\n" (value on the next line).
    sep: str = ":"

    def value(self, doc: Doc) -> str:
        return doc.text[self.value_span.start : self.value_span.end]


# Cells: runs of 2+ spaces, pipes, and the middle dots and bullets letterheads put between items.
_CELL_SPLIT = re.compile(r" {2,}|\s*\|\s*| [\u00b7\u2022] ")
# `Label: value`, `Label# value`, `Label #123`: a colon not inside a time or a URL, or a `#` closing a label.
# Each pattern starts with a literal and checks what precedes it afterwards, so sre scans ahead fast.
_COLON = re.compile(r":(?<!\d:)(?<!https:)(?<!http:)(?!//)\s*|#:?(?=\s|[A-Za-z0-9])\s*")
_EQUALS = re.compile(r"([A-Za-z](?<![\w.].)[\w#./-]*) ?= ?")
_BRACKETED = re.compile(r"\[[^\]]*\]")
# A leader may end with a colon: `CHG.......: 1,450.00`.
_LEADER = re.compile(r"(?:\.(?: ?\.){2,}|_{3,})\s*(?::\s*)?")
_LABEL_END = re.compile(r"(?:\s*[:#=]|\s*(?:\.\s?){3,}|\s*_{3,})$")
# A list bullet, a quote mark, or a comment's `#` (`# Remit date: 1/27/25` in an export's header lines).
_BULLET = re.compile(r"^(?:[\s*>\u2022-]|#+(?=\s))+")
_SENTENCE_BREAK = re.compile(r"[a-z]{4,}[.!?]\s")
# A word of a label that is not joined to its value by punctuation: letters, no digits.
_WORD = re.compile(r"[A-Za-z][A-Za-z'&/.#()-]*")
# How a label naming an identifier ends: `Claim No.`, `Ref #`, `Account number`.
_ID_LABEL_END = re.compile(r"(?:\bno|\bnbr|\bnum|number|\bid)$")
# A value in prose ends with its sentence (`You owe: $168.00. To dispute, call ...`); `Dr.`, `L.` do not end one.
_VALUE_END = re.compile(r"(?<=[a-z0-9)]{2})[.!?](?=\s+[A-Z]|\s*$)")
# What joins a label to its value, or cells of a line.
_JOINERS = (":", "#", "=", "|", "..", "__", "\u00b7", "\u2022")
_SPACE = " \n\r\t\x0b\x0c"
_DIGIT = re.compile(r"\d")
_TOKEN = re.compile(r"\S+")
_MAX_LABEL_WORDS = 7
_MAX_LABEL_CHARS = 50
_MAX_NEXT_LINE_VALUE = 80


def fields(doc: Doc) -> list[Field]:
    """Every key-value pair of the letter, in reading order (cached on the Doc)."""
    return doc.memo(_find_fields)


def _find_fields(doc: Doc) -> list[Field]:
    out: list[Field] = []
    lines = list(doc.lines())
    pending: list[Span] = []  # labels with no value on their line, waiting for the next line
    in_tables = table_lines(doc)
    for line in lines:
        if line.end - line.start > _MAX_NEXT_LINE_VALUE and _prose(doc.text[line.start : line.end]):
            pending = []
            continue  # a long line of running text with nothing that joins a label to a value
        cells = [] if line.start in in_tables else _cells(doc, line)
        if not cells:
            pending = []
            continue
        if pending:
            if len(cells) == len(pending) and not any(_label_cell(doc, c) for c in cells):
                taken = [c for c in cells if c.end - c.start <= _MAX_NEXT_LINE_VALUE]
                if len(taken) == len(cells):
                    out.extend(_field(doc, lab, val, "\n") for lab, val in zip(pending, cells, strict=True))
                    pending = []
                    continue
            pending = []
        found, waiting = _line_fields(doc, cells)
        out.extend(found)
        pending = waiting if waiting and len(waiting) == len(cells) else []
    return out


def _prose(text: str) -> bool:
    return not any(mark in text for mark in _JOINERS) and "  " not in text.strip()


def _cells(doc: Doc, line: Span) -> list[Span]:
    out: list[Span] = []
    pos = line.start
    for m in _CELL_SPLIT.finditer(doc.text, line.start, line.end):
        if m.start() > pos:
            out.append(_strip(doc.text, pos, m.start()))
        pos = m.end()
    if line.end > pos:
        out.append(_strip(doc.text, pos, line.end))
    return [c for c in out if c.end > c.start]


def _line_fields(doc: Doc, cells: list[Span]) -> tuple[list[Field], list[Span]]:
    """The pairs of one line, and the labels that wait for their value on the next line."""
    out: list[Field] = []
    waiting: list[Span] = []
    # A row of bare words (a table header, a title) pairs up only when it is exactly `label  value`.
    bare_pairs = len(cells) == 2 or any(_has_digit(doc, c) for c in cells[1::2])
    i = 0
    while i < len(cells):
        cell = cells[i]
        nxt = cells[i + 1] if i + 1 < len(cells) else None
        label_end = _label_cell(doc, cell)
        if label_end is not None:
            # `Label:` with its value in the next cell, or on the next line.
            if nxt is not None and _label_cell(doc, nxt) is None:
                out.append(_field(doc, Span(cell.start, label_end), nxt, "  " if label_end == cell.end else ":"))
                out.extend(_nested(doc, nxt))
                i += 2
                continue
            waiting.append(Span(cell.start, label_end))
            i += 1
            continue
        inline = _inline_fields(doc, cell)
        if inline:
            out.extend(inline)
            i += 1
            continue
        if (
            bare_pairs
            and nxt is not None
            and _bare_label(doc, cell)
            and _label_cell(doc, nxt) is None
            and not _inline_fields(doc, nxt)
            # `Member ID    GSH 4471 0093 55`: an identifier's label takes the whole cell, letters and all.
            and (
                _spaced_field(doc, nxt, single_cell=False) is None
                or _ID_LABEL_END.search(doc.lower, cell.start, cell.end) is not None
            )
        ):
            out.append(_field(doc, cell, nxt, "  "))
            i += 2
            continue
        spaced = _spaced_field(doc, cell, single_cell=len(cells) == 1)
        if spaced is not None:
            out.append(spaced)
        i += 1
    return out, waiting


def _label_cell(doc: Doc, cell: Span) -> int | None:
    """For a cell that is only a label (`Claim No.:`, `Amount billed .....`), where its label ends."""
    text = doc.text[cell.start : cell.end]
    if text[-1] not in ":#=._":
        return None
    m = _LABEL_END.search(text, max(0, len(text) - 40))
    if m is None or m.start() == 0:
        return None
    label = text[: m.start()]
    return cell.start + m.start() if _plausible_label(label) else None


def _inline_fields(doc: Doc, cell: Span) -> list[Field]:
    """`a=1 b=2`, `Label: value`, `Label ..... value` inside one cell."""
    text = doc.text[cell.start : cell.end]
    if not any(ch in text for ch in ":#=._"):
        return []
    pairs = list(_EQUALS.finditer(text)) if "=" in text else []
    # `a=1 b=2`, also after a record's name (`line1 proc=96372`, `totals chg=108.00`, `[relay] id=7`).
    if pairs and len(_BRACKETED.sub(" ", text[: pairs[0].start()]).split()) <= 2:
        out = []
        for j, m in enumerate(pairs):
            end = pairs[j + 1].start() if j + 1 < len(pairs) else len(text)
            value = _strip(doc.text, cell.start + m.end(), cell.start + end, ",;")
            if value.end > value.start:
                out.append(_field(doc, Span(cell.start + m.start(1), cell.start + m.end(1)), value, "="))
        return out
    lead = _BULLET.match(text)
    first = lead.end() if lead else 0
    for sep in (_LEADER, _COLON) if ".." in text or "__" in text else (_COLON,):
        found = sep.search(text, first)
        if found is None or found.start() == first:
            continue
        # `We denied the claim. Reason code on the claim: 204`: the label starts after the last sentence.
        breaks = list(_SENTENCE_BREAK.finditer(text, 0, found.start()))
        begin = breaks[-1].end() if breaks else 0
        if not _plausible_label(text[begin : found.start()]):
            continue
        value = _strip(doc.text, cell.start + found.end(), cell.end)
        if value.end > value.start:
            kind = "..." if sep is _LEADER else ":"
            label = _strip(doc.text, cell.start + begin, cell.start + found.start())
            return [_field(doc, label, value, kind), *_nested(doc, value)]
    return []


def _nested(doc: Doc, value: Span) -> list[Field]:
    """A value that is itself a pair (`Re: Claim No. AB-123`), when its inner label names an identifier."""
    inner = _inline_fields(doc, value)
    if inner:
        return inner
    spaced = _spaced_field(doc, value, single_cell=False)
    return [spaced] if spaced is not None and _ID_LABEL_END.search(spaced.label) else []


def _spaced_field(doc: Doc, cell: Span, *, single_cell: bool) -> Field | None:
    """`DOS 03/21/2025`, `Billed $168.00`, `Claim No. AB-1234`: a short label, one space, a value with a digit."""
    text = doc.text[cell.start : cell.end]
    if len(text) > _MAX_LABEL_CHARS or (single_cell and not text[:1].isupper()) or not _DIGIT.search(text):
        return None
    if cell.start in doc.memo(_date_starts):
        return None  # `March 14, 2025` is a date, not `March` = `14, 2025`
    pos = 0
    words = 0
    for m in _TOKEN.finditer(text):
        if _WORD.fullmatch(m.group()) and words < 4:
            words += 1
            pos = m.end()
            continue
        if words == 0 or not any(ch.isdigit() for ch in m.group()):
            return None
        label = Span(cell.start, cell.start + pos)
        return _field(doc, label, Span(cell.start + m.start(), cell.end), " ")
    return None


def _date_starts(doc: Doc) -> frozenset[int]:
    return frozenset(d.start for d in doc.dates)


def _plausible_label(text: str) -> bool:
    label = _BULLET.sub("", text).strip()
    if not label or not label[0].isalpha() or len(label) > _MAX_LABEL_CHARS:
        return False
    if "$" in label or _SENTENCE_BREAK.search(label + " "[: label.endswith(".")]):
        return False
    return len(label.split()) <= _MAX_LABEL_WORDS


def _bare_label(doc: Doc, cell: Span) -> bool:
    """A cell of words that may name the next cell: no digits, a few words, not a sentence."""
    text = doc.text[cell.start : cell.end]
    return len(text.split()) <= 5 and not _has_digit(doc, cell) and _plausible_label(text) and text[-1] not in ".,;"


def _has_digit(doc: Doc, cell: Span) -> bool:
    return _DIGIT.search(doc.text, cell.start, cell.end) is not None


def _field(doc: Doc, label: Span, value: Span, sep: str) -> Field:
    end = _VALUE_END.search(doc.text, value.start, value.end)
    if end is not None:
        value = _strip(doc.text, value.start, end.start())
    raw = doc.text[label.start : label.end]
    lead = len(raw) - len(_BULLET.sub("", raw))
    label = _strip(doc.text, label.start + lead, label.end)
    name = " ".join(doc.lower[label.start : label.end].split()).rstrip(":#.= ")
    return Field(name, label, value, sep)


def _strip(text: str, start: int, end: int, trailing: str = "") -> Span:
    piece = text[start:end]
    left = piece.lstrip()
    start += len(piece) - len(left)
    return Span(start, start + len(left.rstrip(_SPACE + trailing)))
