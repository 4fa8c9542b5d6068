"""Money amounts and what each one is (billed, allowed, paid, patient responsibility), as exact Decimals.

Read by role from the letter's structure first: a table column's role (its header), then a key-value
field's label, and only then the words just before an amount in running text.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from denialops_router.domain.scope import Scope
from denialops_router.domain.structure import Field, fields
from denialops_router.domain.tables import tables
from denialops_router.domain.text import Doc, Span
from denialops_shared.contracts.codes import CPT, HCPCS

_BARE_DECIMAL = re.compile(r"(?<![\w$.,/-])(\d{1,3}(?:,\d{3})+\.\d{2}|\d+\.\d{2})(?![\w%/-]|[.,]\d)")
_LABEL_STOP = re.compile(r"[,;:=$]|\.\s|\d")
_AFTER = re.compile(r"[ \t]*\(?([A-Za-z][A-Za-z -]{0,18}?)(?=[.,;:)\n]|$| {2})")
_MONEY = re.compile(r"\$\s?(\d{1,3}(?:,\d{3})+|\d+)(\.\d{2})?(?![\d,]*\d)|\b(\d[\d,]*\.\d{2})\s?USD\b")
# Words that make the patient owe an amount named just before (`it`, `this amount`).
_OWED_IT = re.compile(
    r"\byou (?:may |might |will |could )?(?:still )?(?:owe|be (?:billed|responsible|asked to pay))\b[^.;]{0,60}?"
    r"\b(?:for )?(?:it|this(?: amount| charge| bill)?|that(?: amount)?|these charges)\b",
    re.IGNORECASE,
)
# A table cell or a field value that is an amount: `$1,250.00`, `1250.00`, `USD 180.00`, `$0`.
_AMOUNT_VALUE = re.compile(
    r"(?:USD\s?)?-?(?:\$\s?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d{2})?|(?:\d{1,3}(?:,\d{3})+|\d+)\.\d{2})(?![\d,]*\d)"
)
# Where a label stops when reading backwards from an amount.
_LABEL_CUT = re.compile(r"[;|=(){}\[\]]|,\s|\.\s|\$[\d,.]+|\s{2,}|\n|:\s*$")

# The shares a patient pays; when a letter prints them but no patient total, they add up to it.
SHARES = ("deductible", "coinsurance", "copay")
_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "patient",
        re.compile(
            r"\bowe|your (?:share|part|cost|portion|responsibility)|responsib|\bresp\b|pt_?resp|you pay|"
            r"\b(?:patient|member|mbr|pt)(?: cost)? share|\bcost.share|"
            r"member pays|patient pays|amount you|balance due|may be billed|\bliab",
            re.IGNORECASE,
        ),
    ),
    (
        "none",
        re.compile(
            r"\bnot covered|non-covered|discount|savings|adjust|remaining|maximum|\bmet\b|year.to.date|"
            r"before this|prior|previously",
            re.IGNORECASE,
        ),
    ),
    ("deductible", re.compile(r"deductible|\bded\b", re.IGNORECASE)),
    ("coinsurance", re.compile(r"coins", re.IGNORECASE)),
    ("copay", re.compile(r"co-?pay", re.IGNORECASE)),
    ("paid", re.compile(r"paid|payment|\bpays\b|reimburs|\beft\b|check amount|cheque", re.IGNORECASE)),
    ("allowed", re.compile(r"allow|approved|covered|eligible|contracted|negotiated", re.IGNORECASE)),
    ("billed", re.compile(r"bill|charge|\bchg\b|submitted|amount|total|price", re.IGNORECASE)),
)
# A table column's role names its amount's kind.
_ROLE_KIND = {
    "billed": "billed",
    "allowed": "allowed",
    "paid": "paid",
    "patient responsibility": "patient",
    "deductible": "deductible",
    "coinsurance": "coinsurance",
    "copay": "copay",
}
# A label that says only "amount": what it is depends on the line it is on.
_BARE_AMOUNT = re.compile(r"^(?:amount|amt)$")
_PAYMENT_WORDS = re.compile(r"\b(?:eft|check|cheque|payment|paid|remit)\b")
_TOTAL = re.compile(r"\btotals?\b|claim (?:charge|amount)|^\s*totals?", re.IGNORECASE)
_TOTAL_LINE = re.compile(r"\W*(?:claim\s+(?:\d+\s+)?)?totals?\b", re.IGNORECASE)
KINDS = ("billed", "allowed", "paid", "patient")
# Which reading of an amount wins, among totals, then among lines that add up, then among single amounts.
_SOURCES = ("table", "field", "text")


@dataclass(frozen=True)
class AmountFact:
    kind: str | None
    value: Decimal
    start: int
    end: int
    total: bool
    line_item: bool
    source: str = "text"  # "table" (a column's role), "field" (a label), "text" (words before it)
    table: int = -1  # which table of the letter, for a table amount
    in_claim: bool = False  # inside the denied claim's block or rows on a statement of several claims


def _value(raw: str) -> Decimal | None:
    try:
        return Decimal(raw.replace(",", "").replace("$", "").replace("USD", "").strip()).quantize(Decimal("0.01"))
    except InvalidOperation:
        return None


def classify(label: str) -> str | None:
    label = label.replace("_", " ")  # `member_resp`, `total_billed`
    for kind, pattern in _KINDS:
        if pattern.search(label):
            return None if kind == "none" else kind
    return None


def find_amounts(doc: Doc, scope: Scope, code_positions: Sequence[int]) -> list[AmountFact]:
    facts = _table_amounts(doc, scope)
    consumed = [Span(f.start, f.end) for f in facts]
    for field in fields(doc):
        value_text = field.value(doc)
        m = _AMOUNT_VALUE.match(value_text)
        value = _value(m.group()) if m else None
        if m is None or value is None or not scope.allows(field.value_span.start):
            continue
        start = field.value_span.start
        consumed.append(Span(start, start + m.end()))
        line = doc.line(start)
        # A line of totals names itself first: `totals chg=108.00`, `Claim total billed $5.00   You owe: $5.00`.
        head = doc.text[line.start : field.label_span.start]
        facts.append(
            AmountFact(
                _field_kind(doc, field, line),
                value,
                start,
                start + m.end(),
                bool(_TOTAL.search(field.label) or _TOTAL_LINE.match(head)),
                _is_service_line(doc, field) or any(line.start <= p < line.end for p in code_positions),
                "field",
            )
        )
    for m in _MONEY.finditer(doc.text):
        if any(s.start <= m.start() < s.end for s in consumed) or not scope.allows(m.start()):
            continue
        value = _value(m.group(3) or (m.group(1) + (m.group(2) or "")))
        if value is None:
            continue
        label = _label_before(doc, m.start())
        line = doc.line(m.start())
        line_item = any(line.start <= p < line.end for p in code_positions) or _service_line(doc, line)
        kind = classify(label) or _kind_after(doc, m.end())
        if kind is None and line_item:
            kind = "billed"  # `90837 on 05/06/2025, $210.00, came back denied`: a service line's charge
        facts.append(AmountFact(kind, value, m.start(), m.end(), bool(_TOTAL.search(label)), line_item))
        if kind != "patient" and _owed_after(doc, m.end()):
            facts.append(AmountFact("patient", value, m.start(), m.end(), False, line_item))
    for m in _BARE_DECIMAL.finditer(doc.text):
        # `Allowed 0.00, pt resp 1,380.00`: a figure without a currency sign only right after its label.
        before = doc.text[max(0, m.start() - 24) : m.start()]
        cut = list(_LABEL_STOP.finditer(before))
        label = before[cut[-1].end() :] if cut else before
        kind = classify(label) if re.search(r"[A-Za-z]{2}", label) else None
        value = _value(m.group(1))
        if kind is None or value is None or not scope.allows(m.start()):
            continue
        if any(s.start <= m.start() < s.end for s in consumed) or any(f.start <= m.start() < f.end for f in facts):
            continue
        facts.append(AmountFact(kind, value, m.start(1), m.end(1), bool(_TOTAL.search(label)), False))
    return [dataclasses.replace(f, in_claim=True) if scope.in_claim(f.start) else f for f in facts]


def _owed_after(doc: Doc, end: int) -> bool:
    """The rest of an amount's sentence or the next one says the patient owes it (`The amount of $486.00 is
    not covered. You may owe the clinic for it.`), and names no other amount it could be."""
    own = doc.sentence(end)
    following = doc.sentence(own.end) if own.end < len(doc.text) else own
    after = doc.text[end : following.end]
    return not _MONEY.search(after) and bool(_OWED_IT.search(after))


def _kind_after(doc: Doc, end: int) -> str | None:
    """The words right after an amount, when they name it: `$25.00 copay`, `$0.00 paid`."""
    m = _AFTER.match(doc.text, end)
    return classify(m.group(1)) if m else None


def _field_kind(doc: Doc, field: Field, line: Span) -> str | None:
    """A label's kind; a bare `Amount:` is the payment on a line about a check or EFT, else the charge.

    A label that starts with a procedure code is a service line (`A4239 CGM supply allowance .... 418.50`):
    its amount is that line's charge, whatever the service's name says.
    """
    if _is_service_line(doc, field):
        return "billed"
    if not _BARE_AMOUNT.match(field.label):
        return classify(field.label)
    before = doc.lower[line.start : field.label_span.end]
    return "paid" if _PAYMENT_WORDS.search(before) else "billed"


def _service_line(doc: Doc, line: Span) -> bool:
    """A line that starts with a procedure code (`73630 X-ray foot, 3 views   $96.00`)."""
    start = line.start + len(doc.text[line.start : line.end]) - len(doc.text[line.start : line.end].lstrip())
    return bool(CPT.match(doc.text, start, line.end) or HCPCS.match(doc.text, start, line.end))


def _is_service_line(doc: Doc, field: Field) -> bool:
    start, end = field.label_span.start, field.label_span.end
    return bool(CPT.match(doc.text, start, end) or HCPCS.match(doc.text, start, end))


def _table_amounts(doc: Doc, scope: Scope) -> list[AmountFact]:
    """Every amount of a table row, of the kind its column's role names (rows of other claims left out)."""
    out: list[AmountFact] = []
    for number, table in enumerate(tables(doc)):
        kinds = [_ROLE_KIND.get(c.role or "") for c in table.columns]
        for row in table.rows:
            if not scope.allows(row.span.start):
                continue
            for kind, cell in zip(kinds, row.cells, strict=True):
                if kind is None or not cell:
                    continue
                piece = cell[0]
                m = _AMOUNT_VALUE.match(doc.text, piece.start, piece.end)
                value = _value(m.group()) if m else None
                if m is not None and value is not None:
                    out.append(AmountFact(kind, value, m.start(), m.end(), row.total, not row.total, "table", number))
    return out


def _label_before(doc: Doc, pos: int) -> str:
    """The words just before an amount; if none (a column layout), the cell before that."""
    end = pos
    for _ in range(2):
        window = doc.text[max(0, end - 80) : end]
        cuts = list(_LABEL_CUT.finditer(window))
        cut = cuts[-1] if cuts else None
        # A trailing colon or abbreviation's dot belongs to the label: `Charges:   $310.00`, `Pt resp.  $5.00`.
        own_dot = cut is not None and cut.group()[0] == "." and not window[cut.end() :].strip()
        if cut is not None and (cut.group().startswith(":") or own_dot):
            cuts = cuts[:-1]
            cut = cuts[-1] if cuts else None
        label = window[cut.end() if cut else 0 :].strip(" :\n")
        if label and re.search(r"[A-Za-z]", label):
            return label
        if cut is None:
            return ""
        end = max(0, end - len(window) + cut.start())
    return ""


def resolve(facts: Sequence[AmountFact], kind: str) -> tuple[Decimal | None, list[AmountFact]]:
    """The claim's amount of `kind`: structure before prose, a stated total before lines that add up.

    A patient responsibility that is not printed as such is the sum of the printed shares (deductible,
    coinsurance, copay) when the letter gives them.
    """
    mine = [f for f in facts if f.kind == kind]
    # On a statement of several claims, the denied claim's own amounts before the statement's.
    mine = [f for f in mine if f.in_claim] or mine
    if not mine and kind == "patient":
        shares = [resolve(facts, share) for share in SHARES]
        found = [(value, used) for value, used in shares if value is not None]
        if not found:
            return None, []
        return sum((value for value, _ in found), Decimal("0.00")), [f for _, used in found for f in used]
    ranked = sorted(mine, key=lambda f: _SOURCES.index(f.source))
    totals = [f for f in ranked if f.total]
    if totals:
        return totals[0].value, [totals[0]]
    for source in _SOURCES:
        lines = [f for f in ranked if f.line_item and f.source == source]
        lines = [f for f in lines if f.table == lines[0].table] if lines else []
        if len(lines) > 2 and lines[-1].value == sum((f.value for f in lines[:-1]), Decimal("0.00")):
            return lines[-1].value, [lines[-1]]  # an unlabelled last row that adds up the others is their total
        if len(lines) > 1:
            return sum((f.value for f in lines), Decimal("0.00")), lines
    if ranked:
        return ranked[0].value, [ranked[0]]
    return None, []
