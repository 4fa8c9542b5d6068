"""Sections of a letter, so extractors can tell the decision from what surrounds it.

- `fax_cover`: a facsimile cover sheet before the letter (its date, fax number and `Re:` are the
  sender's, not the notice's);
- `page_furniture`: page marks (`Page 2 of 3`, a fax machine's header line) and the repeats of lines
  printed on every page (running headers and footers; the first print is read as the letter's);
- `taglines`: language-assistance and non-discrimination notices;
- `appeal_rights`: the rights boilerplate under a heading such as `YOUR RIGHT TO APPEAL` (the next step's
  window and contact are there; the decision itself is not).
Everything else is the decision text. Found once per letter (cached on the Doc).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from denialops_router.domain.tables import table_lines
from denialops_router.domain.text import Doc, Span

BOILERPLATE = frozenset({"fax_cover", "page_furniture", "taglines"})

_FAX_COVER = re.compile(
    r"fax(?:simile)? (?:cover|transmi(?:ssion|ttal))|cover sheet|\(including (?:this |the )?cover\)|"
    r"pages? \(including|number of pages",
    re.IGNORECASE,
)
# A fax machine's line or a page count opens the next page: `PAGE 02/02`, `P. 02/03`, `Page 2 of 3`.
_NEXT_PAGE = re.compile(r"\b(?:page|p\.)\s*0*([2-9]|\d{2,})\s*(?:/|of)\s*\d+", re.IGNORECASE)
_PAGE_MARK = re.compile(r"\b(?:page|p\.)\s*\d+\s*(?:/|of)\s*\d+|^\s*-?\s*\d+\s*-?\s*$", re.IGNORECASE)
# Matched against the lower-cased letter without IGNORECASE: a whole-letter scan, several times faster.
_TAGLINE = re.compile(
    r"atenci[oó]n:|attention:|language assistance|free language|interpret(?:er|ing|ation) services|"
    r"habla espa[nñ]ol|tagalog|ti[eế]ng vi[eệ]t|\u4e2d\u6587|\ud55c\uad6d\uc5b4|non-?discrimination|"
    r"does not discriminate|no discrimina"
)
_RIGHTS_HEADING = re.compile(
    r"\b(?:right|rights)\b.{0,30}\b(?:appeal|review|hearing)|\bappeal rights\b|\bhow to (?:appeal|ask)|"
    r"\bif you disagree\b|\bwhat (?:you|if you) (?:can|may) do\b|\bnext steps?\b",
    re.IGNORECASE,
)
_MIN_REPEATED = 12
_DIGITS = re.compile(r"\d+")
_BLANK = re.compile(r"\n\s*\n")


@dataclass(frozen=True)
class Section:
    kind: str  # fax_cover, page_furniture, taglines, appeal_rights
    span: Span


def sections(doc: Doc) -> list[Section]:
    """The letter's non-decision parts, in reading order (cached on the Doc)."""
    return doc.memo(_find_sections)


def section_at(doc: Doc, pos: int) -> str:
    """The kind of section `pos` lies in (the innermost: taglines inside the rights); `decision` if none."""
    around = [s for s in sections(doc) if s.span.start <= pos < s.span.end]
    return min(around, key=lambda s: s.span.end - s.span.start).kind if around else "decision"


def is_boilerplate(doc: Doc, pos: int) -> bool:
    return section_at(doc, pos) in BOILERPLATE


def _find_sections(doc: Doc) -> list[Section]:
    found = [*_fax_cover(doc), *_furniture(doc), *_taglines(doc), *_rights(doc)]
    return sorted(found, key=lambda s: s.span.start)


def _fax_cover(doc: Doc) -> list[Section]:
    """A cover sheet: its cue in the first page's lines, up to where the next page starts."""
    first_page_end = len(doc.pages[0]) if len(doc.pages) > 1 else len(doc.text)
    cue = _FAX_COVER.search(doc.text, 0, min(first_page_end, 1500))
    if cue is None:
        return []
    if len(doc.pages) > 1:
        return [Section("fax_cover", Span(0, first_page_end))]
    nxt = _NEXT_PAGE.search(doc.text, cue.end())
    return [Section("fax_cover", Span(0, doc.line(nxt.start()).start))] if nxt else []


def _furniture(doc: Doc) -> list[Section]:
    """Lines printed again (numbers aside) after their first print, and page marks, outside tables."""
    in_tables = table_lines(doc)
    seen: dict[str, list[Span]] = {}
    out: list[Section] = []
    for line in doc.lines():
        raw = doc.text[line.start : line.end].strip()
        if not raw or line.start in in_tables:
            continue
        mark = _PAGE_MARK.search(raw)
        if mark and not re.search(r"[A-Za-z]{3}", raw[: mark.start()] + raw[mark.end() :]):
            out.append(Section("page_furniture", line))  # `Page 2 of 3` alone, `- 2 -`
            continue
        if len(raw) >= _MIN_REPEATED and re.search(r"[A-Za-z]{3}", raw):
            seen.setdefault(_DIGITS.sub("#", " ".join(raw.split())), []).append(line)
    # The first print of a running header is read as the letter's; its repeats are furniture.
    out += [Section("page_furniture", line) for lines in seen.values() for line in lines[1:]]
    return out


def _taglines(doc: Doc) -> list[Section]:
    """The paragraph around each language-assistance or non-discrimination notice."""
    out: list[Section] = []
    for m in _TAGLINE.finditer(doc.lower):
        start = max((b.end() for b in _BLANK.finditer(doc.text, 0, m.start())), default=0)
        after = _BLANK.search(doc.text, m.end())
        span = Span(start, after.start() if after else len(doc.text))
        if not out or span.start >= out[-1].span.end:
            out.append(Section("taglines", span))
    return out


def _rights(doc: Doc) -> list[Section]:
    """From an appeal-rights heading to the next heading (or the end)."""
    headings = [line for line in doc.lines() if _heading(doc, line)]
    out: list[Section] = []
    for i, line in enumerate(headings):
        if _RIGHTS_HEADING.search(doc.text, line.start, line.end):
            end = headings[i + 1].start if i + 1 < len(headings) else len(doc.text)
            out.append(Section("appeal_rights", Span(line.start, end)))
    return out


def _heading(doc: Doc, line: Span) -> bool:
    """A short line on its own: all capitals, or words ending with a colon, not a sentence."""
    raw = doc.text[line.start : line.end].strip()
    if not raw or len(raw) > 70 or not re.search(r"[A-Za-z]{3}", raw) or re.search(r"[.;,]$", raw):
        return False
    letters = [ch for ch in raw if ch.isalpha()]
    return (raw.isupper() and len(letters) >= 6) or (raw.endswith(":") and len(raw.split()) <= 8)
