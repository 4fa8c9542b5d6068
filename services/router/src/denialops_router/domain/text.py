"""The letter as one searchable string, with a way back to (page, offset) evidence spans."""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from denialops_shared.contracts.artifacts import Evidence
from denialops_shared.contracts.dates import DateMention, find_dates, lower_same_length

# One-for-one replacements only, so offsets into the cleaned text stay valid for the original page.
_CLEAN = str.maketrans(
    {
        "\u00a0": " ",
        "\t": " ",
        "\r": " ",
        "\f": "\n",
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
    }
)

# A full stop after an abbreviation (`e.g.`, `Dr.`) ends no sentence.
_SENTENCE_END = re.compile(
    r"[.!?](?=\s)(?<!e\.g\.)(?<!i\.e\.)(?<!\bDr\.)(?<!\bMr\.)(?<!\bMs\.)(?<!\bNo\.)(?<!\bvs\.)(?<!\bSt\.)"
    r"|\n\s*\n|\n(?=\s*(?:[-*\u2022]|\d{1,2}[.)]|[a-z]\))\s)"
)
_CELL_SPLIT = re.compile(r" {2,}|\s*\|\s*|\s*[*+]\s+|\s+[*+]\s*$|//")


def at_word(word: str) -> str:
    r"""`\bword` spelled so that a pattern built from it still starts with a literal.

    sre skips ahead with a fast scan only when every branch of a pattern starts with a literal; a leading
    `\b` turns that off and made whole-letter scans several times slower. The lookbehind after the word
    checks the same boundary.
    """
    return rf"{word}(?<!\w{word})"


_T = TypeVar("_T")


@dataclass(frozen=True)
class Span:
    start: int
    end: int


class Doc:
    """Pages joined by a newline; global offsets map back to the page they came from."""

    def __init__(self, pages: Sequence[str]) -> None:
        cleaned = [p.translate(_CLEAN) if isinstance(p, str) else "" for p in pages]
        self.pages = cleaned
        self._starts: list[int] = []
        pos = 0
        for page in cleaned:
            self._starts.append(pos)
            pos += len(page) + 1
        self.text = "\n".join(cleaned)
        self.lower = lower_same_length(self.text)
        self._sentence_ends = [m.end() for m in _SENTENCE_END.finditer(self.text)]
        self._dates: list[DateMention] | None = None
        self._lines: list[Span] | None = None
        self._memo: dict[Callable[[Doc], Any], Any] = {}

    def memo(self, build: Callable[[Doc], _T]) -> _T:
        """`build(self)`, computed once per letter: structure (fields, tables, sections) is read by many extractors."""
        if build not in self._memo:
            self._memo[build] = build(self)
        return cast(_T, self._memo[build])

    @property
    def dates(self) -> list[DateMention]:
        """Every date in the letter, found once."""
        if self._dates is None:
            self._dates = find_dates(self.text)
        return self._dates

    def evidence(self, start: int, end: int) -> Evidence:
        if not self._starts:
            return Evidence(page=1, start=0, end=0)
        idx = max(0, bisect.bisect_right(self._starts, start) - 1)
        page_start = self._starts[idx]
        page_len = len(self.pages[idx])
        local_start = min(max(0, start - page_start), page_len)
        local_end = min(max(local_start, end - page_start), page_len)
        return Evidence(page=idx + 1, start=local_start, end=local_end)

    def sentence(self, pos: int) -> Span:
        """The sentence around `pos` (letters wrap sentences over lines, so a newline alone is not an end)."""
        i = bisect.bisect_right(self._sentence_ends, pos)
        start = self._sentence_ends[i - 1] if i > 0 else 0
        end = self._sentence_ends[i] if i < len(self._sentence_ends) else len(self.text)
        return Span(start, end)

    def sentence_text(self, pos: int) -> str:
        span = self.sentence(pos)
        return self.lower[span.start : span.end]

    def line(self, pos: int) -> Span:
        start = self.text.rfind("\n", 0, pos) + 1
        end = self.text.find("\n", pos)
        return Span(start, len(self.text) if end < 0 else end)

    def lines(self) -> Iterator[Span]:
        # Several extractors walk the lines; split the letter once.
        if self._lines is None:
            self._lines = []
            pos = 0
            for raw in self.text.split("\n"):
                self._lines.append(Span(pos, pos + len(raw)))
                pos += len(raw) + 1
        return iter(self._lines)

    def cells(self, line: Span) -> list[Span]:
        """A line cut into cells at runs of 2+ spaces, pipes and box-drawing stars."""
        out: list[Span] = []
        pos = line.start
        segment = self.text[line.start : line.end]
        for m in _CELL_SPLIT.finditer(segment):
            end = line.start + m.start()
            if end > pos and self.text[pos:end].strip():
                out.append(_strip(self.text, pos, end))
            pos = line.start + m.end()
        if line.end > pos and self.text[pos : line.end].strip():
            out.append(_strip(self.text, pos, line.end))
        return out


@functools.lru_cache(maxsize=16)
def _cached_doc(pages: tuple[str, ...]) -> Doc:
    return Doc(pages)


def make_doc(pages: Sequence[str]) -> Doc:
    """Extraction and routing read the same letter back to back; build its index once."""
    clean = tuple(p if isinstance(p, str) else "" for p in pages)
    return _cached_doc(clean)


def _strip(text: str, start: int, end: int) -> Span:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return Span(start, end)


def _is_table_row(text: str) -> bool:
    return text.count("|") >= 3


def column_header(doc: Doc, pos: int) -> str | None:
    """For a position inside a pipe-table row, the lower-cased header of its column."""
    line = doc.line(pos)
    if not _is_table_row(doc.text[line.start : line.end]):
        return None
    cells = doc.cells(line)
    index = next((i for i, c in enumerate(cells) if c.start <= pos <= c.end), None)
    if index is None:
        return None
    cursor = line.start - 1
    while cursor > 0:
        up = doc.line(cursor)
        text = doc.text[up.start : up.end]
        if not _is_table_row(text):
            return None
        header_cells = [doc.text[c.start : c.end] for c in doc.cells(up)]
        if (
            header_cells
            and not any(re.search(r"\d", t) for t in header_cells)
            and not all(re.fullmatch(r"[-=:+ ]*", t) for t in header_cells)
        ):
            return header_cells[index].lower() if len(header_cells) == len(cells) else None
        cursor = up.start - 1
    return None
