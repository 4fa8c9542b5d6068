"""EOB / remittance facts: claims, their service lines, adjustments, totals and the payment.

Layouts differ (member EOBs, provider remits, pipe tables, key=value logs), so a *service line* is any
text line that holds a procedure code and at least one amount; the amounts' kinds come from the shared
amount reader (column headers, `key=value` names, or the words before them). Codes printed away from a
line (notes, boxes) belong to their claim.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from denialops_router.domain.amounts import SHARES, AmountFact, classify, find_amounts
from denialops_router.domain.carc_table import carc_info, rarc_info
from denialops_router.domain.codes import find_procedure_codes, in_dx_context
from denialops_router.domain.denial_codes import CodeMention, find_denial_codes
from denialops_router.domain.key_dates import find_key_dates
from denialops_router.domain.parties import (
    Found,
    find_claim_number,
    find_member_id,
    find_payer,
    find_provider,
)
from denialops_router.domain.people import find_patient
from denialops_router.domain.scope import CLAIM_ID, Scope
from denialops_router.domain.text import Doc, Span, column_header, make_doc
from denialops_shared.contracts.artifacts import (
    EobAdjustment,
    EobAmounts,
    EobClaim,
    EobFacts,
    EobLine,
    EobPayment,
    Evidence,
)
from denialops_shared.contracts.codes import CARC_REASON, CPT_SHAPE, GROUP, HCPCS_SHAPE, RARC
from denialops_shared.contracts.dates import DateMention

# A line's patient share may be printed only as its deductible, coinsurance or copay.
_AMOUNT_FIELDS = {
    "billed": "billed",
    "allowed": "allowed",
    "paid": "paid",
    "patient": "patient_responsibility",
    **dict.fromkeys(SHARES, "patient_responsibility"),
}
_LINE_CODE = re.compile(
    rf"(?<![\w$/.,#-])(?P<code>{CPT_SHAPE}|{HCPCS_SHAPE})"
    r"(?:[- ](?P<mod>\d{2}|[A-Z]{2}|[A-Z]\d)(?![\w-]))?(?![\w/]|[.,]\d|-\w)"
)
_ID_BEFORE = re.compile(
    r"(?:\b(?:id|no|number|npi|tin|zip|claim|member|account|acct|ref|auth\w*|batch|icn|group)\.?|#)\s*[:=#]?\s*$",
    re.IGNORECASE,
)
_UNITS = re.compile(r"\bunits?\s*[:=]?\s*(\d{1,3})\b|\b(\d{1,3})\s*units?\b|\bx\s*(\d{1,3})\b", re.IGNORECASE)
_CARC = re.compile(
    rf"(?<![\w-])(?P<group>{GROUP})\s?[-:/ ]?\s?(?P<reason>{CARC_REASON})(?![\w]|-\d|[.,]\d)"
    r"(?:\s*[:=]?\s*\(?\$?(?P<amount>\d[\d,]*\.\d{2})\)?)?"
)
_RARC_CUE = re.compile(r"\b(?:rarc|remarks?|remark codes?)\b", re.IGNORECASE)
_CLAIM_HEADER = re.compile(
    rf"^[ \t*>#|-]*(?:claim(?:[ _]?(?:id|number|no\.?|#))?|icn)[ \t:=#|-]*(?P<id>{CLAIM_ID})\b"
    rf"|\bclaim_id=(?P<kv>{CLAIM_ID})\b",
    re.IGNORECASE | re.MULTILINE,
)
# Remit column headers abbreviate the patient's share (`Pt resp`, `Mbr owes`).
_PATIENT_COLUMN = re.compile(r"\b(?:pt|pat|patient|mbr|member)\b")
_STATUS = re.compile(r"\bstatus\s*[:=]\s*(?P<s>[A-Za-z_ -]{3,30})", re.IGNORECASE)
_TOTAL_LINE = re.compile(r"^\W*(?:claim\s+)?totals?\b", re.IGNORECASE)
_PAYMENT = re.compile(
    r"\b(?P<label>check|cheque|eft|trace|payment)(?:\s*(?:#|no\.?|number|num|id|trace(?: number)?))?\s*[:=#]?\s*"
    r"(?P<num>(?=[A-Z0-9-]*\d)[A-Z0-9][A-Z0-9-]{3,})\b",
    re.IGNORECASE,
)
_PAYMENT_DATE = re.compile(r"\b(?:check|cheque|eft|payment|paid|deposit)\s*(?:issue\s*)?date\s*[:=]?\s*$", re.I)
_PAYMENT_AMOUNT = re.compile(r"\b(?:check|cheque|eft|payment)\s*(?:amount|amt|total)\b", re.IGNORECASE)


@dataclass
class _Line:
    span: Span
    code: str
    code_span: Span
    modifier: str | None
    amounts: list[AmountFact] = field(default_factory=list)


@dataclass
class _Block:
    span: Span
    claim: Found | None
    lines: list[_Line] = field(default_factory=list)


def extract_eob_facts(pages: Sequence[str]) -> EobFacts:
    """Read an EOB or remittance (`pages[i]` is page i+1); unknown values stay None.

    A bug raises (the router's stage reports it as failed) rather than passing for an empty EOB.
    """
    return _extract(make_doc(pages))


def _extract(doc: Doc) -> EobFacts:
    everything = Scope()
    amounts = _with_columns(doc, find_amounts(doc, everything, []))
    service, issued = find_key_dates(doc, everything, False)
    blocks = _blocks(doc)
    rows = _rows(doc, amounts)
    for row in rows:
        next((b for b in reversed(blocks) if b.span.start <= row.span.start), blocks[0]).lines.append(row)
    row_spans = [r.span for r in rows]
    claim_codes = [
        c for c in find_denial_codes(doc, everything) if not any(s.start <= c.start <= s.end for s in row_spans)
    ]
    fallback_dos = service.mention.value if service else None
    claims = [_claim(doc, b, amounts, claim_codes, fallback_dos) for b in blocks]

    payer = find_payer(doc)
    member = find_member_id(doc, everything)
    patient = find_patient(doc, everything)
    provider = find_provider(doc, everything, payer.value if payer else None)
    parties = {"payer_name": payer, "member_id": member, "patient_name": patient, "provider_name": provider}
    evidence = {name: [doc.evidence(found.start, found.end)] for name, found in parties.items() if found}
    if issued:
        evidence["statement_date"] = [doc.evidence(issued.mention.start, issued.mention.end)]
    # The claim the denial is about: the first one not paid in full.
    open_claims = [c for c in claims if c.status != "paid"]
    main = (open_claims or claims)[0]
    if main.claim_number:
        evidence["claim_number"] = main.evidence.get("claim_number", [])
    payment, payment_evidence = _payment(doc, amounts)
    if payment_evidence:
        evidence["payment"] = payment_evidence
    codes = [a.code for c in open_claims for line in c.lines for a in line.adjustments]
    codes += [a.code for c in open_claims for a in c.adjustments]
    return EobFacts(
        payer_name=payer.value if payer else None,
        member_id=member.value if member else None,
        patient_name=patient.value if patient else None,
        provider_name=provider.value if provider else None,
        statement_date=issued.mention.value if issued else None,
        claim_number=main.claim_number,
        claims=claims,
        payment=payment,
        denial_codes=list(dict.fromkeys(codes)),
        evidence=evidence,
    )


def _with_columns(doc: Doc, amounts: Sequence[AmountFact]) -> list[AmountFact]:
    """Pipe-table amounts the shared reader left unlabelled (rows with empty cells) take their column's name."""
    out: list[AmountFact] = []
    for fact in amounts:
        header = (_pipe_column(doc, fact.start) or _aligned_column(doc, fact)) if fact.kind is None else None
        if header is not None:
            line = doc.line(fact.start)
            total = fact.total or bool(_TOTAL_LINE.match(doc.text[line.start : line.end]))
            kind = classify(header) or ("patient" if _PATIENT_COLUMN.search(header) else None)
            fact = dataclasses.replace(fact, kind=kind, total=total, line_item=not total)
        out.append(fact)
    return out


def _pipe_column(doc: Doc, pos: int) -> str | None:
    """The header of the pipe-table column holding `pos`, counting empty cells too."""
    line = doc.line(pos)
    if doc.text.count("|", line.start, line.end) < 3:
        return None
    index = doc.text.count("|", line.start, pos)
    cursor = line.start - 1
    while cursor > 0:
        up = doc.line(cursor)
        text = doc.text[up.start : up.end]
        if text.count("|") < 3:
            return None
        if not re.search(r"\d", text) and not re.fullmatch(r"[-=:+| ]*", text):
            cells = text.split("|")
            return cells[index].strip().lower() if index < len(cells) else None
        cursor = up.start - 1
    return None


def _aligned_column(doc: Doc, fact: AmountFact) -> str | None:
    """The header of a space-aligned column: the nearest line above made of words only, whose cell
    overlaps the amount's columns most (numbers may be left- or right-aligned under their header)."""
    line = doc.line(fact.start)
    left, right = fact.start - line.start, fact.end - line.start
    cursor = line.start - 1
    for _ in range(12):
        if cursor <= 0:
            return None
        up = doc.line(cursor)
        cursor = up.start - 1
        text = doc.text[up.start : up.end]
        if not text.strip() or re.search(r"\d", text):
            continue
        cells = doc.cells(up)
        if len(cells) < 3:
            return None
        best = max(cells, key=lambda c: min(right, c.end - up.start) - max(left, c.start - up.start))
        if min(right, best.end - up.start) - max(left, best.start - up.start) <= 0:
            return None
        return doc.text[best.start : best.end].lower()
    return None


def _blocks(doc: Doc) -> list[_Block]:
    """One block per claim header when a statement lists several claims, else the whole document."""
    headers = [
        m for m in _CLAIM_HEADER.finditer(doc.text) if len(re.sub(r"\D", "", m.group("id") or m.group("kv"))) >= 5
    ]
    if len({m.group("id") or m.group("kv") for m in headers}) < 2:
        claim = find_claim_number(doc, Scope())
        return [_Block(Span(0, len(doc.text)), claim)]
    blocks: list[_Block] = []
    seen: set[str] = set()
    for m in headers:
        group = "id" if m.group("id") else "kv"
        if m.group(group) in seen:
            continue
        seen.add(m.group(group))
        blocks.append(_Block(Span(m.start(), len(doc.text)), Found(m.group(group), m.start(group), m.end(group), 0.9)))
    for block, following in itertools.pairwise(blocks):
        block.span = Span(block.span.start, following.span.start)
    blocks[0].span = Span(0, blocks[0].span.end)
    return blocks


def _rows(doc: Doc, amounts: Sequence[AmountFact]) -> list[_Line]:
    """Service lines: a text line with a procedure code and at least one non-total amount."""
    rows: list[_Line] = []
    for line in doc.lines():
        text = doc.text[line.start : line.end]
        if _TOTAL_LINE.match(text):
            continue
        mine = [a for a in amounts if line.start <= a.start < line.end and not a.total]
        if not mine:
            continue
        for m in _LINE_CODE.finditer(text):
            start = line.start + m.start("code")
            if _ID_BEFORE.search(text[max(0, m.start() - 24) : m.start()]) or in_dx_context(doc, start):
                continue
            if any(a.start <= start < a.end for a in mine):
                continue
            rows.append(_Line(line, m.group("code"), Span(start, start + 5), m.group("mod"), mine))
            break
    return rows


def _claim(
    doc: Doc,
    block: _Block,
    amounts: Sequence[AmountFact],
    claim_codes: Sequence[CodeMention],
    fallback_dos: dt.date | None,
) -> EobClaim:
    evidence: dict[str, list[Evidence]] = {}
    if block.claim:
        evidence["claim_number"] = [doc.evidence(block.claim.start, block.claim.end)]
    header_dos = _header_date(doc, block)
    dos = header_dos.value if header_dos else fallback_dos
    lines = [_line(doc, row, dos) for row in block.lines]
    inside = [a for a in amounts if block.span.start <= a.start < block.span.end]
    row_positions = {a.start for row in block.lines for a in row.amounts}
    printed = [a for a in inside if a.start not in row_positions and (a.total or _on_total_line(doc, a))]
    loose = [a for a in inside if a.start not in row_positions and a not in printed]
    totals, totals_evidence, source = _totals(doc, lines, printed, loose)
    evidence["totals"] = totals_evidence
    if not lines:
        lines = _single_service(doc, block, dos, totals, totals_evidence)
    adjustments: list[EobAdjustment] = []
    adjustment_evidence: list[Evidence] = []
    for mention in claim_codes:
        if block.span.start <= mention.start < block.span.end:
            code = mention.code
            adjustments.append(
                EobAdjustment(
                    code=code.code, kind=code.kind, group=code.group, reason=code.reason, description=code.description
                )
            )
            adjustment_evidence.append(doc.evidence(mention.start, mention.end))
    if adjustment_evidence:
        evidence["adjustments"] = adjustment_evidence
    if header_dos:
        evidence["date_of_service"] = [doc.evidence(header_dos.start, header_dos.end)]
    return EobClaim(
        claim_number=block.claim.value if block.claim else None,
        status=_status(doc, block, lines, totals, adjustments),
        date_of_service=min((ln.date_of_service for ln in lines if ln.date_of_service), default=dos),
        lines=lines,
        totals=totals,
        totals_source=source,
        adjustments=adjustments,
        evidence={k: v for k, v in evidence.items() if v},
    )


def _single_service(
    doc: Doc, block: _Block, dos: dt.date | None, totals: EobAmounts, spans: list[Evidence]
) -> list[EobLine]:
    """A member EOB that names one service apart from its money block: that service is the claim's line."""
    codes = find_procedure_codes(doc, Scope())
    hits = [h for h in codes.cpt + codes.hcpcs if block.span.start <= h.start < block.span.end]
    if len(hits) != 1:
        return []
    return [
        EobLine(
            date_of_service=dos,
            procedure_code=hits[0].code,
            amounts=totals,
            evidence={"procedure_code": [doc.evidence(hits[0].start, hits[0].end)], "amounts": spans},
        )
    ]


def _line(doc: Doc, row: _Line, dos: dt.date | None) -> EobLine:
    evidence: dict[str, list[Evidence]] = {"procedure_code": [doc.evidence(row.code_span.start, row.code_span.end)]}
    values: dict[str, Decimal] = {}
    for fact in row.amounts:
        name = _AMOUNT_FIELDS.get(fact.kind or "")
        if name and name not in values:
            values[name] = fact.value
            evidence[name] = [doc.evidence(fact.start, fact.end)]
    line_dos = next((d for d in doc.dates if row.span.start <= d.start < row.span.end), None)
    if line_dos:
        evidence["date_of_service"] = [doc.evidence(line_dos.start, line_dos.end)]
    text = doc.text[row.span.start : row.span.end]
    units_m = _UNITS.search(text)
    adjustments, adjustment_spans = _line_adjustments(doc, row)
    if adjustment_spans:
        evidence["adjustments"] = adjustment_spans
    return EobLine(
        date_of_service=line_dos.value if line_dos else dos,
        procedure_code=row.code,
        modifiers=[row.modifier] if row.modifier else [],
        units=int(next(g for g in units_m.groups() if g)) if units_m else None,
        amounts=EobAmounts(**values),
        adjustments=adjustments,
        evidence=evidence,
    )


def _line_adjustments(doc: Doc, row: _Line) -> tuple[list[EobAdjustment], list[Evidence]]:
    text = doc.text[row.span.start : row.span.end]
    out: list[EobAdjustment] = []
    spans: list[Evidence] = []
    for m in _CARC.finditer(text):
        reason = m.group("reason")
        if carc_info(reason) is None and not _in_column(doc, row.span.start + m.start(), "adj", "reason", "carc"):
            continue
        info = carc_info(reason)
        amount = Decimal(m.group("amount").replace(",", "")) if m.group("amount") else None
        out.append(
            EobAdjustment(
                code=f"{m.group('group')}-{reason}",
                kind="carc",
                group=m.group("group"),
                reason=reason,
                description=info[0] if info else None,
                amount=amount,
            )
        )
        spans.append(doc.evidence(row.span.start + m.start(), row.span.start + m.end("reason")))
    if out or _RARC_CUE.search(text):
        for m in RARC.finditer(text):
            if row.code_span.start <= row.span.start + m.start() < row.code_span.end:
                continue
            info = rarc_info(m.group(1))
            out.append(
                EobAdjustment(code=m.group(1), kind="rarc", reason=m.group(1), description=info[0] if info else None)
            )
            spans.append(doc.evidence(row.span.start + m.start(), row.span.start + m.end()))
    return out, spans


def _in_column(doc: Doc, pos: int, *names: str) -> bool:
    header = column_header(doc, pos)
    return bool(header) and any(n in (header or "") for n in names)


def _on_total_line(doc: Doc, fact: AmountFact) -> bool:
    line = doc.line(fact.start)
    return bool(_TOTAL_LINE.match(doc.text[line.start : line.end]))


def _totals(
    doc: Doc, lines: Sequence[EobLine], printed: Sequence[AmountFact], loose: Sequence[AmountFact]
) -> tuple[EobAmounts, list[Evidence], str | None]:
    """Printed totals first; a claim without service lines takes its labelled amounts; the rest adds up."""
    values: dict[str, Decimal] = {}
    spans: list[Evidence] = []
    for fact in list(printed) + ([] if lines else list(loose)):
        name = _AMOUNT_FIELDS.get(fact.kind or "")
        if name and name not in values:
            values[name] = fact.value
            spans.append(doc.evidence(fact.start, fact.end))
    source = "printed" if values else None
    for name in _AMOUNT_FIELDS.values():
        parts = [getattr(ln.amounts, name) for ln in lines if getattr(ln.amounts, name) is not None]
        if name not in values and parts:
            values[name] = sum(parts, Decimal("0.00"))
            source = source or "sum_of_lines"
    return EobAmounts(**values), spans, source


def _status(
    doc: Doc, block: _Block, lines: Sequence[EobLine], totals: EobAmounts, adjustments: Sequence[EobAdjustment]
) -> str | None:
    paid = [ln.amounts.paid for ln in lines if ln.amounts.paid is not None]
    if paid:
        unpaid = sum(1 for p in paid if p == 0)
        return "paid" if unpaid == 0 else "denied" if unpaid == len(paid) else "partially_denied"
    printed = _STATUS.search(doc.text, block.span.start, block.span.end)
    if printed:
        word = printed.group("s").lower()
        if "deni" in word or "reject" in word:
            return "denied"
        if "paid" in word or "processed" in word:
            return "paid"
    if totals.paid is not None and totals.billed:
        return "denied" if totals.paid == 0 else "paid" if not adjustments else "partially_denied"
    return "denied" if adjustments else None


def _header_date(doc: Doc, block: _Block) -> DateMention | None:
    """A date on the claim's header line (`Claim WR24... - Clinic - 10/02/2024`)."""
    if block.claim is None:
        return None
    line = doc.line(block.claim.start)
    return next((d for d in doc.dates if line.start <= d.start < line.end), None)


def _payment(doc: Doc, amounts: Sequence[AmountFact]) -> tuple[EobPayment, list[Evidence]]:
    """Check or EFT number, with a date and an amount on the same line or labelled as the payment's."""
    m = _PAYMENT.search(doc.text)
    if m is None:
        return EobPayment(), []
    label = m.group("label").lower()
    method = "eft" if label in ("eft", "trace") or "eft" in doc.lower[max(0, m.start() - 30) : m.start()] else "check"
    spans = [doc.evidence(m.start("num"), m.end("num"))]
    line = doc.line(m.start())
    date = next((d for d in doc.dates if line.start <= d.start < line.end), None)
    if date is None:
        date = next(
            (
                d
                for d in doc.dates
                if _PAYMENT_DATE.search(doc.text[max(doc.line(d.start).start, d.start - 30) : d.start])
            ),
            None,
        )
    amount = next(
        (a for a in amounts if _PAYMENT_AMOUNT.search(doc.text[max(doc.line(a.start).start, a.start - 30) : a.start])),
        None,
    )
    for found in (date, amount):
        if found is not None:
            spans.append(doc.evidence(found.start, found.end))
    return (
        EobPayment(
            method=method,
            number=m.group("num"),
            date=date.value if date else None,
            amount=amount.value if amount else None,
        ),
        spans,
    )
