"""Reading order of a page whose two columns PDF extraction flattened into one run of lines.

`Claim No.: X-07715           If the wrong diagnosis was keyed,` holds two texts: the left column's
line and the right column's. A run of lines with a gutter at one character position (two spaces
before it on every line that reaches it, running text on both sides) is read left column first, then
the right one; every other line is one piece. Pieces are spans of the letter's text, so evidence
offsets stay exact.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections import Counter
from dataclasses import dataclass

from denialops_router.domain.text import Doc, Span

_MIN_RUN = 6  # lines with text on both sides of the gutter
_MIN_GUTTER = 20  # a left column narrower than this is a label column, not a page column
_GAP = re.compile(r"(?<=\S) {2,}(?=\S)")
_WORDS = re.compile(r"[A-Za-z]{2,}\s+[A-Za-z]{2,}")


def reading_pieces(doc: Doc) -> list[Span]:
    """The letter as pieces in reading order (cached on the Doc)."""
    return doc.memo(_reading_pieces)


@dataclass(frozen=True)
class ReadingOrder:
    """The letter's text in reading order, as a Doc of its own, with a way back to the letter's offsets.

    Readers of running text (a sentence, a window and what it counts from) see each column's sentences
    whole; the spans they find map back to the letter, so evidence points at the printed text.
    """

    doc: Doc
    # (start in `doc`, start in the letter, length) of each piece, in reading order; empty when nothing moved.
    _pieces: tuple[tuple[int, int, int], ...] = ()

    def original(self, span: Span) -> Span:
        if not self._pieces:
            return span
        starts = [p[0] for p in self._pieces]
        first = self._pieces[max(0, bisect.bisect_right(starts, span.start) - 1)]
        last = self._pieces[max(0, bisect.bisect_right(starts, max(span.start, span.end - 1)) - 1)]
        start = first[1] + span.start - first[0]
        end = last[1] + span.end - last[0]
        if end < start:  # from one column's last line into the next column's first: keep the first part
            end = first[1] + first[2]
        return Span(start, end)


def reading_order(doc: Doc) -> ReadingOrder:
    """The letter in reading order (cached on the Doc); the letter itself when no columns were flattened."""
    return doc.memo(_reading_order)


def _reading_order(doc: Doc) -> ReadingOrder:
    pieces = reading_pieces(doc)
    if all(a.end <= b.start for a, b in itertools.pairwise(pieces)):
        return ReadingOrder(doc)
    starts: list[tuple[int, int, int]] = []
    pos = 0
    for piece in pieces:
        starts.append((pos, piece.start, piece.end - piece.start))
        pos += piece.end - piece.start + 1
    return ReadingOrder(Doc(["\n".join(doc.text[p.start : p.end] for p in pieces)]), tuple(starts))


def _reading_pieces(doc: Doc) -> list[Span]:
    lines = list(doc.lines())
    out: list[Span] = []
    i = 0
    while i < len(lines):
        run = _column_run(doc, lines, i)
        if run is None:
            out.append(lines[i])
            i += 1
            continue
        end, gutter = run
        left = [Span(ln.start, min(ln.end, ln.start + gutter)) for ln in lines[i:end]]
        right = [Span(ln.start + gutter, ln.end) for ln in lines[i:end] if ln.end > ln.start + gutter]
        out += [_rstrip(doc, s) for s in left] + [_rstrip(doc, s) for s in right]
        i = end
    return out


def _column_run(doc: Doc, lines: list[Span], i: int) -> tuple[int, int] | None:
    """Where a run of two-column lines starting at line `i` ends, and its gutter, if one starts here."""
    gutter = _gutter(doc, lines[i])
    if gutter is None:
        return None
    counts: Counter[int] = Counter()
    end = i
    both = 0
    while end < len(lines):
        line = lines[end]
        text = doc.text[line.start : line.end]
        if len(text) > gutter and not (text[gutter - 2 : gutter] == "  " or not text[:gutter].strip()):
            break  # a line that crosses the gutter: the run is over
        if len(text) > gutter and text[gutter] != " " and text[:gutter].strip():
            both += 1
            counts[bool(_WORDS.search(text[gutter:]))] += 1
        end += 1
    if both < _MIN_RUN or counts[True] < both * 0.6:
        return None
    return end, gutter


def _gutter(doc: Doc, line: Span) -> int | None:
    """The first position after a run of 2+ spaces with text before and after it, far enough right."""
    text = doc.text[line.start : line.end]
    return next((m.end() for m in _GAP.finditer(text) if m.end() >= _MIN_GUTTER), None)


def _rstrip(doc: Doc, span: Span) -> Span:
    end = span.end
    while end > span.start and doc.text[end - 1] == " ":
        end -= 1
    return Span(span.start, end)
