"""Money amounts and what each one is (billed, allowed, paid, patient responsibility)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from denialops_router.domain.scope import Scope
from denialops_router.domain.text import Doc, Span

_MONEY = re.compile(r"\$\s?(\d{1,3}(?:,\d{3})+|\d+)(\.\d{2})?(?![\d,]*\d)|\b(\d[\d,]*\.\d{2})\s?USD\b")
_KEY_VALUE = re.compile(r"\b([A-Za-z_][\w]*)=\$?(\d[\d,]*\.\d{2})\b")
# Where a label stops when reading backwards from an amount.
_LABEL_CUT = re.compile(r"[;|=(){}\[\]]|,\s|\.\s|\$[\d,.]+|\s{2,}|\n|:\s*$")

_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "patient",
        re.compile(
            r"\bowe|your (?:share|part|cost|portion|responsibility)|responsib|pt_?resp|you pay|"
            r"member pays|patient pays|coins|co-?pay|deductible|amount you|balance due",
            re.IGNORECASE,
        ),
    ),
    ("none", re.compile(r"\bnot covered|non-covered|discount|savings|adjust", re.IGNORECASE)),
    ("paid", re.compile(r"paid|payment|\bpays\b|reimburs", re.IGNORECASE)),
    ("allowed", re.compile(r"allow|approved|covered|eligible|contracted|negotiated", re.IGNORECASE)),
    ("billed", re.compile(r"bill|charge|\bchg\b|submitted|amount|total|price", re.IGNORECASE)),
)
_TOTAL = re.compile(r"\btotals?\b|claim (?:charge|amount)|^\s*totals?", re.IGNORECASE)
KINDS = ("billed", "allowed", "paid", "patient")


@dataclass(frozen=True)
class AmountFact:
    kind: str | None
    value: float
    start: int
    end: int
    total: bool
    line_item: bool


def _value(raw: str) -> float | None:
    try:
        return round(float(raw.replace(",", "").replace("$", "").strip()), 2)
    except ValueError:
        return None


def classify(label: str) -> str | None:
    for kind, pattern in _KINDS:
        if pattern.search(label):
            return None if kind == "none" else kind
    return None


def find_amounts(doc: Doc, scope: Scope, code_positions: Sequence[int]) -> list[AmountFact]:
    facts: list[AmountFact] = []
    consumed: list[Span] = []
    for fact in _table_amounts(doc):
        facts.append(fact)
        consumed.append(Span(fact.start, fact.end))
    for m in _KEY_VALUE.finditer(doc.text):
        value = _value(m.group(2))
        if value is None:
            continue
        line = doc.line(m.start())
        head = doc.text[line.start : line.end]
        line_item = any(line.start <= p < line.end for p in code_positions)
        facts.append(
            AmountFact(
                classify(m.group(1)),
                value,
                m.start(2),
                m.end(2),
                bool(_TOTAL.search(head[:12])),
                line_item,
            )
        )
    for m in _MONEY.finditer(doc.text):
        if any(s.start <= m.start() < s.end for s in consumed):
            continue
        value = _value(m.group(3) or (m.group(1) + (m.group(2) or "")))
        if value is None:
            continue
        label = _label_before(doc, m.start())
        line = doc.line(m.start())
        line_item = any(line.start <= p < line.end for p in code_positions)
        facts.append(AmountFact(classify(label), value, m.start(), m.end(), bool(_TOTAL.search(label)), line_item))
    return [f for f in facts if scope.allows(f.start)]


def _label_before(doc: Doc, pos: int) -> str:
    """The words just before an amount; if none (a column layout), the cell before that."""
    end = pos
    for _ in range(2):
        window = doc.text[max(0, end - 80) : end]
        cuts = list(_LABEL_CUT.finditer(window))
        cut = cuts[-1] if cuts else None
        # A trailing colon belongs to the label: `Charges:   $310.00`.
        if cut is not None and cut.group().startswith(":"):
            cuts = cuts[:-1]
            cut = cuts[-1] if cuts else None
        label = window[cut.end() if cut else 0 :].strip(" :\n")
        if label and re.search(r"[A-Za-z]", label):
            return label
        if cut is None:
            return ""
        end = max(0, end - len(window) + cut.start())
    return ""


def _table_amounts(doc: Doc) -> list[AmountFact]:
    """Pipe tables: an amount's label is its column header; a `totals` row holds the totals."""
    out: list[AmountFact] = []
    header: list[str] | None = None
    for line in doc.lines():
        text = doc.text[line.start : line.end]
        if text.count("|") < 3:
            header = None
            continue
        cells = doc.cells(line)
        cell_texts = [doc.text[c.start : c.end] for c in cells]
        if all(re.fullmatch(r"[-=:+ ]*", t) for t in cell_texts):
            continue
        if not any(_MONEY.search(t) for t in cell_texts):
            if not any(re.search(r"\d", t) for t in cell_texts):
                header = [t.lower() for t in cell_texts]
            continue
        if header is None or len(header) != len(cells):
            continue
        total = bool(re.match(r"\s*totals?\b", cell_texts[0], re.IGNORECASE))
        for name, cell, cell_text in zip(header, cells, cell_texts, strict=True):
            m = _MONEY.search(cell_text)
            value = _value(m.group()) if m else None
            if m is None or value is None:
                continue
            out.append(
                AmountFact(classify(name), value, cell.start + m.start(), cell.start + m.end(), total, not total)
            )
    return out


def resolve(facts: Sequence[AmountFact], kind: str) -> tuple[float | None, list[AmountFact]]:
    """A stated total wins; else the line amounts of the claim add up; else the first amount."""
    mine = [f for f in facts if f.kind == kind]
    if not mine:
        return None, []
    totals = [f for f in mine if f.total]
    if totals:
        return totals[0].value, [totals[0]]
    lines = [f for f in mine if f.line_item]
    if len(lines) > 1:
        return round(sum(f.value for f in lines), 2), lines
    return mine[0].value, [mine[0]]
