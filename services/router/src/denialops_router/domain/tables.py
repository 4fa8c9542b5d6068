"""Tables of a letter: a header row gives each column its role; rows are cells under those columns.

Pipe and boxed tables (`| a | b |`, `+---+`) are cut at the pipes; fixed-width tables at runs of 2+
spaces, each cell placed under the header column it sits below (numbers are right-aligned, text left:
the column it overlaps most, else the nearest). A header may span two lines (`PATIENT` over `RESP`).
Tables whose columns PDF extraction flattened to single spaces are read by the order of their amounts.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from denialops_router.domain.text import Doc, Span

# Column roles, by the words of a header cell; the first role whose pattern matches wins, so the
# more specific wording comes first (`pt paid` is the patient's, `not allowed` is no allowed amount).
_ROLES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (role, re.compile(pattern, re.IGNORECASE))
    for role, pattern in (
        ("claim number", r"^(?:claim|clm|icn)(?: ?#| no\.?| number| id)?$"),
        # A payer's own edit or error code (`E1042`) has a code's shape but is no billed service.
        ("edit code", r"^(?:edit|error|reject(?:ion)?)(?: code| id| #)?$"),
        ("group code", r"^(?:grp|group)(?: code)?$"),
        ("carc", r"carc|reason|\brsn\b|\badj(?:ustment)?s?\b(?! ?amt| ?amount)|\bcodes$|^cas\b"),
        ("rarc", r"rarc|remark|\brmk\b|\bmsg\b"),
        (
            "patient responsibility",
            r"pt\.? ?resp|ptresp|patient|member (?:resp|owes|share)|you (?:may )?owe|"
            r"your (?:share|cost|responsibility)|what you owe|\bowed?\b|resp(?:onsibility)?$|may be billed|"
            r"^(?:member|mbr)$|liability",
        ),
        ("deductible", r"deduct|^ded\.?$"),
        ("coinsurance", r"co-?ins|coinsurance|^coin$"),
        ("copay", r"co-?pay"),
        ("discount", r"discount|savings|contractual|not allowed|write.?off|adj(?:ustment)? ?(?:amt|amount)"),
        ("not covered", r"not covered|non-?covered|ineligible"),
        ("paid", r"paid|payment|\bpays?\b|benefit|reimb"),
        ("allowed", r"allow|alwd|approved|eligible|covered|negotiated|contracted|\bplan rate\b"),
        ("billed", r"bill|charge|\bchgs?\b|submitted|amount$|^amt$|provider charged"),
        ("date of service", r"^dos$|date|^from$|^svc dt$|service dt"),
        ("procedure code", r"cpt|hcpcs|cdt|proc|^code$|service code|^svc$"),
        ("revenue code", r"^rev"),
        ("diagnosis", r"^dx$|diag|icd"),
        ("modifier", r"^mod"),
        ("units", r"units|qty|^days?$"),
        ("description", r"desc|service|item|^message$|^explanation$"),
        ("line", r"^ln$|^line(?: no| #)?$|^#$"),
        ("status", r"status|^result$|^outcome$|disposition"),
    )
)
AMOUNT_ROLES = frozenset(
    {
        "billed",
        "allowed",
        "discount",
        "deductible",
        "coinsurance",
        "copay",
        "not covered",
        "paid",
        "patient responsibility",
    }
)
# A totals row names itself in a short first cell: `Totals`, `CLAIM TOTAL`, `Claim 1 total`, `Total for this claim`.
_TOTAL = re.compile(r"^(?:[\w#-]+ ){0,3}(?:totals?|tot)\.?:?$|^totals? (?:for|of|this)\b", re.IGNORECASE)
_SEPARATOR = re.compile(r"^[\s|+=_-]*[-=_][\s|+=_-]*$")
_AMOUNT = re.compile(r"\$?\s?-?\d{1,3}(?:,\d{3})*\.\d{2}|\$\s?\d+(?:,\d{3})*")
_LONG_NUMBER = re.compile(r"\d{3}")
_PIPES = re.compile(r"\s*\|\s*")
_CSV_CELL = re.compile(r'\s*(?:"([^"]*)"|([^,"]*?))\s*(?:,|$)')
_GAPS = re.compile(r" {2,}")
_MAX_GAP_LINES = 2
# A dashed rule under a fixed-width header: three or more runs of dashes set apart by spaces.
_RULE = re.compile(r"^\s*-{2,}(?: +-{2,}){2,}\s*$")


@dataclass(frozen=True)
class Column:
    name: str  # the header text, lower-cased and folded (a header over two or three lines joined)
    role: str | None
    span: Span  # the header cell on the header's main line
    left: int  # where the column starts and ends on its lines (header lines widen it)
    right: int


Cell = tuple[Span, ...]  # a cell's pieces: one per line it takes (`CO-45 797.50` over `PR-2  110.00`)


@dataclass(frozen=True)
class Row:
    span: Span  # the row's line(s)
    cells: tuple[Cell, ...]  # one per column; () where the row leaves the column empty
    total: bool  # a totals row (`Totals`, `CLAIM TOTAL`)


@dataclass(frozen=True)
class Table:
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]
    header: Span  # the header's line(s)
    span: Span  # header to last row

    def column(self, role: str) -> int | None:
        return next((i for i, c in enumerate(self.columns) if c.role == role), None)

    def cell(self, row: Row, role: str) -> Cell:
        index = self.column(role)
        return () if index is None else row.cells[index]


def tables(doc: Doc) -> list[Table]:
    """Every table of the letter with a header row naming at least two column roles (cached on the Doc)."""
    return doc.memo(_find_tables)


def table_lines(doc: Doc) -> frozenset[int]:
    """Start offsets of the lines that are a table's header or rows (key-value readers skip them)."""
    return doc.memo(_table_lines)


def _table_lines(doc: Doc) -> frozenset[int]:
    spans = [span for table in tables(doc) for span in (table.header, *(row.span for row in table.rows))]
    return frozenset(line.start for line in doc.lines() if any(s.start <= line.start < s.end for s in spans))


def _find_tables(doc: Doc) -> list[Table]:
    lines = list(doc.lines())
    out: list[Table] = []
    i = 0
    while i < len(lines):
        table = _table_at(doc, lines, i)
        if table is None:
            i += 1
            continue
        out.append(table)
        end = table.span.end
        while i < len(lines) and lines[i].start < end:
            i += 1
    return out


def _table_at(doc: Doc, lines: list[Span], i: int) -> Table | None:
    line = lines[i]
    text = doc.text[line.start : line.end].strip()
    sep = _separator(text)
    if not sep and "  " not in text and not _above_amounts(doc, lines, i):
        return None  # one run of words: only a flattened header, and only above a row of amounts
    cells = _header_cells(doc, line, sep)
    if cells is None:
        return None
    names = [_name(doc, c) for c in cells]
    bounds = [(c.start - line.start, c.end - line.start) for c in cells]
    flat = not sep and len(cells) == 1
    if flat and not _above_amounts(doc, lines, i):
        return None
    header = Span(line.start, line.end)
    rule = _rule_under(doc, lines, i) if not sep and not flat else None
    if flat:
        cells, names = _flattened_header(doc, cells[0])
        bounds = [(c.start - line.start, c.end - line.start) for c in cells]
    elif rule is not None:
        cells, bounds = _ruled_header(doc, line, rule)
        names = [_name(doc, c) for c in cells]
    else:
        if i > 0 and not sep and _join_header_line(doc, lines[i - 1], (cells, bounds, names), sep, above=True):
            header = Span(lines[i - 1].start, header.end)
        j = i + 1
        while (
            j < len(lines) and j <= i + 2 and _join_header_line(doc, lines[j], (cells, bounds, names), sep, above=False)
        ):
            header = Span(header.start, lines[j].end)
            j += 1
        i = j - 1
    # A header line that goes on with running text stands beside a second column of the page: what is
    # right of the header's last cell on the rows belongs to that column.
    rest = doc.text[cells[-1].end : line.end]
    limit = cells[-1].end - line.start + len(rest) - len(rest.lstrip()) if rest.strip() and not sep else None
    roles = [_role(name) for name in names]
    if sum(r is not None for r in roles) < 2 or (flat and sum(r in AMOUNT_ROLES for r in roles) < 2):
        return None
    columns = tuple(
        Column(n, r, c, left, right) for n, r, c, (left, right) in zip(names, roles, cells, bounds, strict=True)
    )
    rows: list[Row] = []
    gap = 0
    end = header.end
    claim = next((k for k, c in enumerate(columns) if c.role == "claim number"), None)
    blank = False
    for nxt in lines[i + 1 :]:
        raw = doc.text[nxt.start : nxt.end]
        if not raw.strip():
            if blank or claim is None or not rows:
                break
            blank = True  # a report grouped by claim may set its claims apart by a blank line
            continue
        if _SEPARATOR.match(raw):
            if blank:
                break
            continue
        row = (
            _flat_row(doc, nxt, columns)
            if flat
            else _row(doc, nxt, columns, sep, rows[-1] if rows else None, limit, ruled=rule is not None)
        )
        if blank:
            # ... and goes on only with the next claim's first row.
            if row is None or claim is None or not row.cells[claim]:
                break
            blank = False
        if row is None:
            gap += 1
            if gap > _MAX_GAP_LINES or len(_header_cells(doc, nxt, sep) or ()) > 1:
                break  # (a wrapped description of one run of words is no new header)
            continue
        gap = 0
        if rows and row.span.start < rows[-1].span.end:
            rows[-1] = row  # a continuation line merged into the row above
        else:
            rows.append(row)
        end = row.span.end
    if not rows:
        return None
    columns = _by_content(doc, columns, rows)
    if not sep:
        rows = [_realigned_total(doc, row, columns) for row in rows]
    return Table(columns, tuple(rows), header, Span(header.start, end))


def _realigned_total(doc: Doc, row: Row, columns: tuple[Column, ...]) -> Row:
    """A totals line set off from the columns (`CLAIM TOTAL:   523.00   98.40` further right): its amounts,
    in order, are the amount columns', when it has one for each."""
    money = {i for i, c in enumerate(columns) if c.role in AMOUNT_ROLES}
    if not row.total or not any(_in_cell(doc, c) and i not in money for i, c in enumerate(row.cells)):
        return row
    return _flat_row(doc, row.span, columns) or row


def _by_content(doc: Doc, columns: tuple[Column, ...], rows: list[Row]) -> tuple[Column, ...]:
    """An amount column whose cells hold no amount is no amount column: `PATIENT` over names is the patient."""
    out: list[Column] = []
    for index, column in enumerate(columns):
        if column.role in AMOUNT_ROLES:
            pieces = [p for row in rows for p in row.cells[index]]
            if pieces and not any(_AMOUNT.search(doc.text, p.start, p.end) for p in pieces):
                role = "patient" if column.role == "patient responsibility" else None
                column = Column(column.name, role, column.span, column.left, column.right)
        out.append(column)
    return tuple(out)


def _rule_under(doc: Doc, lines: list[Span], i: int) -> list[tuple[int, int]] | None:
    """The runs of a dashed rule under a header (`------ ---- --------`), which mark its columns' widths."""
    if i + 1 >= len(lines):
        return None
    line = lines[i + 1]
    text = doc.text[line.start : line.end]
    if not _RULE.match(text):
        return None
    return [(m.start(), m.end()) for m in re.finditer(r"-+", text)]


def _ruled_header(doc: Doc, line: Span, rule: list[tuple[int, int]]) -> tuple[list[Span], list[tuple[int, int]]]:
    """The header's words grouped by the rule's run each stands over (`LN DOS` over `-- --------` are two)."""
    words = [
        Span(line.start + m.start(), line.start + m.end()) for m in re.finditer(r"\S+", doc.text[line.start : line.end])
    ]
    groups: dict[int, list[Span]] = {}
    for word in words:
        groups.setdefault(_column_index(word.start - line.start, word.end - line.start, rule), []).append(word)
    cells = [
        Span(groups[k][0].start, groups[k][-1].end) if k in groups else Span(line.start + left, line.start + left)
        for k, (left, _) in enumerate(rule)
    ]
    return cells, list(rule)


def _above_amounts(doc: Doc, lines: list[Span], i: int) -> bool:
    return i + 1 < len(lines) and len(_AMOUNT.findall(doc.text, lines[i + 1].start, lines[i + 1].end)) >= 2


def _separator(text: str) -> str:
    """How a header line sets its cells apart: pipes, commas (an exported CSV), else runs of spaces ("")."""
    if text.count("|") >= 2:
        return "|"
    if text.count(",") >= 3 and "  " not in text:
        return ","
    return ""


def _name(doc: Doc, cell: Span) -> str:
    # An exported header writes its words with underscores (`pt_resp`, `claim_no`).
    return " ".join(doc.lower[cell.start : cell.end].replace("_", " ").split())


def _csv_cells(line: Span, text: str) -> list[Span]:
    """The cells of a comma-separated line, empty ones kept; a quoted cell may hold commas (`"1,450.00"`)."""
    out: list[Span] = []
    pos = 0
    while True:
        m = _CSV_CELL.match(text, pos)
        if m is None:
            return []
        group = 1 if m.group(1) is not None else 2
        out.append(Span(line.start + m.start(group), line.start + m.end(group)))
        if not m.group().endswith(","):
            return out
        pos = m.end()


def _split(doc: Doc, line: Span, sep: str) -> list[Span]:
    """A line's cells; for a pipe or comma row, empty cells are kept (`|    |` is an empty column)."""
    text = doc.text[line.start : line.end]
    if sep == ",":
        return _csv_cells(line, text)
    splitter = _PIPES if sep else _GAPS
    out: list[Span] = []
    pos = 0
    for m in splitter.finditer(text):
        out.append(Span(line.start + pos, line.start + m.start()))
        pos = m.end()
    out.append(Span(line.start + pos, line.end))
    out = [_strip(doc.text, s) for s in out]
    if sep:
        # The outer pipes of `| a | b |` open and close the row; they are not empty cells.
        if out and out[0].start == out[0].end and text.lstrip().startswith("|"):
            out = out[1:]
        if out and out[-1].start == out[-1].end and text.rstrip().endswith("|"):
            out = out[:-1]
        return out
    return [c for c in out if c.end > c.start]


def _header_cells(doc: Doc, line: Span, sep: str) -> list[Span] | None:
    """The cells of a header row: several short cells of words, no amounts or dates."""
    if _LONG_NUMBER.search(doc.text, line.start, line.end):
        return None
    cells = _split(doc, line, sep)
    if not sep:
        cells = _left_of_prose(doc, cells)
    texts = [doc.text[c.start : c.end] for c in cells]
    words = [t for t in texts if t]
    if not words or any(_AMOUNT.search(t) or _prose_cell(t) for t in words if len(cells) > 1):
        return None
    if any(re.search(r"\d{3}|^[\d\W]*\d[\d\W]*$", t) for t in words):
        return None
    if len(words) == 1:
        # A single-spaced header a PDF flattened: many role words, nothing else.
        single = texts[0]
        return cells if len(single.split()) >= 4 and not re.search(r"[:.,;]\s", single) else None
    return cells if len(words) >= 3 else None


def _prose_cell(text: str) -> bool:
    return len(text.split()) > 4 or len(text) > 32 or bool(re.search(r"[.:;,]\s", text))


def _left_of_prose(doc: Doc, cells: list[Span]) -> list[Span]:
    """A header whose line goes on with running text (a second column of the page): its cells before it."""
    for index, cell in enumerate(cells):
        if index >= 3 and _prose_cell(doc.text[cell.start : cell.end]):
            return cells[:index]
    return cells


def _join_header_line(
    doc: Doc,
    other: Span,
    header: tuple[list[Span], list[tuple[int, int]], list[str]],
    sep: str,
    *,
    above: bool,
) -> bool:
    """Join a header line above or below (`PATIENT` over `RESP`) into the names of the columns it stands in.

    A word of the lower line right of every column (`Notes` under nothing) is a column of its own.
    """
    columns, bounds, names = header
    raw = doc.text[other.start : other.end]
    if not raw.strip() or _SEPARATOR.match(raw) or (sep and raw.count(sep) < 2):
        return False
    cells = _split(doc, other, sep)
    texts = [_name(doc, c) for c in cells]
    # (`Coins.` under `Copay /` is an abbreviation; a long word with a full stop ends a sentence.)
    if any(re.search(r"\d|[:.,;]\s|:$|\w{7,}\.$", t) or len(t.split()) > 3 for t in texts):
        return False
    if sep:
        if len(cells) != len(names):
            return False
        indexes = list(range(len(cells)))
    else:
        extra = [c for c in cells if not above and c.start - other.start > bounds[-1][1] + 1]
        trial = bounds + [(c.start - other.start, c.end - other.start) for c in extra]
        found = [_column_index(c.start - other.start, c.end - other.start, trial) for c in cells]
        if len(set(found)) != len(found):
            return False
        columns += extra
        bounds[:] = trial
        names += [""] * len(extra)
        indexes = found
    for index, cell, text in zip(indexes, cells, texts, strict=True):
        if text:
            names[index] = f"{text} {names[index]}" if above else f"{names[index]} {text}".strip()
        if not sep:
            left, right = bounds[index]
            bounds[index] = (min(left, cell.start - other.start), max(right, cell.end - other.start))
    return True


@functools.lru_cache(maxsize=4096)
def _role(name: str) -> str | None:
    # Header words repeat from letter to letter; each is classified once.
    return next((role for role, pattern in _ROLES if pattern.search(name)), None)


def _column_index(start: int, end: int, bounds: list[tuple[int, int]]) -> int:
    """The column a fixed-width cell sits under: the most overlap, else the nearest edge."""
    best, best_score = 0, -(10**9)
    for index, (left, right) in enumerate(bounds):
        overlap = min(end, right) - max(start, left)
        score = overlap if overlap > 0 else -min(abs(start - right), abs(left - end))
        if score > best_score:
            best, best_score = index, score
    return best


def _row(
    doc: Doc,
    line: Span,
    columns: tuple[Column, ...],
    sep: str,
    above: Row | None,
    limit: int | None,
    *,
    ruled: bool = False,
) -> Row | None:
    cells = _split(doc, line, sep)
    if limit is not None:
        cells = [c for c in cells if c.start - line.start < limit - 1]
    if ruled:
        cells = [piece for cell in cells for piece in _cut_at_gaps(doc, line, cell, columns)]
    if sep:
        if len(cells) != len(columns):
            return None
        filled: list[Cell] = [(c,) if c.end > c.start else () for c in cells]
    else:
        bounds = [(c.left, c.right) for c in columns]
        offsets = [(c.start - line.start, c.end - line.start) for c in cells]
        if any(sum(min(end, right) > max(start, left) for left, right in bounds) > 2 for start, end in offsets):
            return None  # a sentence under the table, not a cell
        filled = [()] * len(columns)
        for cell, (start, end) in zip(cells, offsets, strict=True):
            index = _column_index(start, end, bounds)
            # Two pieces under one column on one line are one cell (`CO-45 PR-2` set apart by two spaces).
            previous = filled[index]
            filled[index] = (Span(previous[0].start, cell.end),) if previous else (cell,)
    texts = [doc.text[c[0].start : c[-1].end] for c in filled if c]
    if not any(re.search(r"\d", t) for t in texts) or any(t.endswith(":") and not _TOTAL.search(t) for t in texts):
        return None  # no figure at all, or a `Label:` line after the table
    total = any(_TOTAL.search(t) for t in texts[:2])
    if not sep and above is not None and not total and not filled[0] and len(texts) <= 2:
        # `PR-2  110.00` under the ADJ column of the row above: that row goes on.
        merged = tuple(a + b for a, b in zip(above.cells, filled, strict=True))
        return Row(Span(above.span.start, line.end), merged, above.total)
    money = [i for i, c in enumerate(columns) if c.role in AMOUNT_ROLES]
    if sum(bool(c) for c in filled) < 2 or (money and not any(_in_cell(doc, filled[i]) for i in money)):
        return None
    return Row(line, tuple(filled), total)


def _cut_at_gaps(doc: Doc, line: Span, cell: Span, columns: tuple[Column, ...]) -> list[Span]:
    """A piece cut where a single space falls between two ruled columns (`01 09/24/26 99214`)."""
    out: list[Span] = []
    start = cell.start
    for pos in range(cell.start, cell.end):
        offset = pos - line.start
        if doc.text[pos] == " " and not any(c.left <= offset < c.right for c in columns):
            if pos > start:
                out.append(Span(start, pos))
            start = pos + 1
    if cell.end > start:
        out.append(Span(start, cell.end))
    return out


def _in_cell(doc: Doc, cell: Cell) -> bool:
    return any(_AMOUNT.search(doc.text, piece.start, piece.end) for piece in cell)


def _flattened_header(doc: Doc, cell: Span) -> tuple[list[Span], list[str]]:
    """`Line DOS Code Billed Allowed Paid`: each word a column (a role may take two words)."""
    spans = [
        Span(cell.start + m.start(), cell.start + m.end()) for m in re.finditer(r"\S+", doc.text[cell.start : cell.end])
    ]
    merged: list[Span] = []
    for span in spans:
        if merged:
            pair = _role(" ".join(doc.lower[merged[-1].start : span.end].split()))
            first, second = _role(doc.lower[merged[-1].start : merged[-1].end]), _role(doc.lower[span.start : span.end])
            # `Plan paid`, `Patient resp`, `Amount billed` name one column; `Code Billed` two.
            if pair is not None and (first is None or second is None or first == second == pair):
                merged[-1] = Span(merged[-1].start, span.end)
                continue
        merged.append(span)
    return merged, [" ".join(doc.lower[s.start : s.end].split()) for s in merged]


def _flat_row(doc: Doc, line: Span, columns: tuple[Column, ...]) -> Row | None:
    """A flattened row: its amounts, in order, fill the header's amount columns, in order."""
    text = doc.text[line.start : line.end]
    amounts = [Span(line.start + m.start(), line.start + m.end()) for m in _AMOUNT.finditer(text)]
    money_columns = [i for i, c in enumerate(columns) if c.role in AMOUNT_ROLES]
    if len(amounts) != len(money_columns):
        return None
    cells: list[Cell] = [()] * len(columns)
    for index, amount in zip(money_columns, amounts, strict=True):
        cells[index] = (amount,)
    return Row(line, tuple(cells), bool(_TOTAL.search(text[: amounts[0].start - line.start].strip())))


def _strip(text: str, span: Span) -> Span:
    start, end = span.start, span.end
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return Span(start, end)
