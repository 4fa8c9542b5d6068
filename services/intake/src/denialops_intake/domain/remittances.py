"""An 835 file split by claim: which claims need a case, each claim as an 835 of its own, and the ids
that make a second delivery of the same claim find the first one's case.

Pure: the file's text in, claims and refusals out. The file is read twice, once to check every envelope
(so a malformed file is refused before anything is written) and once to hand over its claims, without
keeping more than one claim's segments at a time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from denialops_shared.remittance_rules import DENIED_STATUS, REVERSAL_STATUS, is_denied, non_routine
from denialops_shared.x12_835 import (
    ISA_WIDTHS,
    ClaimRead,
    EnvelopeError,
    InterchangeRead,
    ProviderAdjustment,
    RemittanceRead,
    Segment,
    Unreadable,
    iter_835,
)


class MalformedRemittance(Exception):
    """The file is not a well-formed 835: `position` is the 1-based segment number in its interchange
    (0 when no segment is to blame), `offset` the character offset in the file."""

    def __init__(self, message: str, *, position: int = 0, offset: int = 0, segment: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.position = position
        self.offset = offset
        self.segment = segment

    def where(self) -> str:
        """The message with its place, for an error answer (no data quoted)."""
        if not self.position:
            return f"{self.message} (at character {self.offset})" if self.offset else self.message
        name = f" {self.segment}" if self.segment else ""
        return f"{self.message} (segment {self.position}{name}, at character {self.offset})"


class Kind(StrEnum):
    """What a claim asks for."""

    DENIED = "denied"  # CLP02 = 4 (or nothing paid): a new case
    ADJUSTED = "adjusted"  # paid, with an adjustment that is not routine: a new case
    REVERSAL = "reversal"  # CLP02 = 22: updates the claim's case
    PAID = "paid"  # paid with routine adjustments only: updates the claim's case (an appeal won), else nothing


@dataclass(frozen=True)
class SplitClaim:
    key: str  # tenant + payer + CLP07: the claim's identity across files
    label: str  # CLP07 as printed, for the answer's `claims_skipped`
    kind: Kind
    paid: Decimal
    paid_on: dt.date | None  # BPR16, else the production date (DTM*405)
    text: str  # the claim as an 835 of its own: envelope, header and party loops, its CLP loop, trailers


def remittance_id(tenant_id: str, data: bytes) -> str:
    """One id per tenant and file content: the same file twice is the same remittance."""
    digest = hashlib.sha256(data).hexdigest()
    return "remit-" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"denialops:remittance:{tenant_id}:{digest}"))


def claim_case_id(key: str) -> str:
    return "case-" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"denialops:remittance-claim:{key}"))


def claim_document_id(case_id: str, text: str) -> str:
    """The same claim text on the same case is the same document: a repeated file adds nothing."""
    digest = hashlib.sha256(text.encode()).hexdigest()
    return "doc-" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"denialops:remittance-doc:{case_id}:{digest}"))


def validate(text: str) -> list[ProviderAdjustment]:
    """Refuse a file that is not made of well-formed 835 interchanges; returns its PLB adjustments."""
    if not text.strip():
        raise MalformedRemittance("the file is empty")
    covered = 0
    transactions = 0
    plb: list[ProviderAdjustment] = []
    for item in iter_835(text):
        if isinstance(item, InterchangeRead):
            _only_whitespace(text, covered, item.start)
            covered = item.end
        elif isinstance(item, Unreadable):
            raise MalformedRemittance(f"the interchange cannot be read: {item.reason}", position=1, offset=item.start)
        elif isinstance(item, EnvelopeError):
            raise MalformedRemittance(
                item.description, position=item.position, offset=item.offset, segment=item.segment_id
            )
        elif isinstance(item, RemittanceRead):
            transactions += 1
            plb.extend(item.remittance.provider_adjustments)
    if covered == 0:
        raise MalformedRemittance("no ISA interchange header with known delimiters was found")
    _only_whitespace(text, covered, len(text))
    if transactions == 0:
        raise MalformedRemittance("the file holds no 835 transaction set (ST*835)")
    return plb


def _only_whitespace(text: str, start: int, end: int) -> None:
    # `_interchange` may leave the IEA's terminator: the terminator is not content.
    gap = text[start:end].lstrip("~\x1c\x1d\x1e\x1f")
    if gap.strip():
        offset = start + len(text[start:end]) - len(gap) + (len(gap) - len(gap.lstrip()))
        raise MalformedRemittance("text outside any ISA...IEA interchange", offset=offset)


def claims(tenant_id: str, text: str) -> Iterator[SplitClaim | tuple[str, str]]:
    """Each claim of a validated file: a SplitClaim, or (label, reason) for a claim that cannot have one.

    A reversal (CLP02 = 22) and its correction under the same CLP07, one after the other, are one claim:
    one document, read as the correction."""
    group: list[ClaimRead] = []
    for item in iter_835(text):
        if not isinstance(item, ClaimRead):
            continue
        if group and _same_claim(group[-1], item):
            group.append(item)
            continue
        if group:
            yield _split(tenant_id, text, group)
        group = [item]
    if group:
        yield _split(tenant_id, text, group)


def _same_claim(a: ClaimRead, b: ClaimRead) -> bool:
    number = a.claim.payer_claim_number
    return a.remittance is b.remittance and bool(number) and number == b.claim.payer_claim_number


def _split(tenant_id: str, text: str, group: list[ClaimRead]) -> SplitClaim | tuple[str, str]:
    read = next((r for r in reversed(group) if r.claim.status != REVERSAL_STATUS), group[0])
    claim = read.claim
    label = claim.payer_claim_number or claim.patient_control_number
    if not claim.payer_claim_number:
        return label, "no payer claim control number (CLP07)"
    payer = read.remittance.party("PR")
    payer_key = (payer.id or payer.last_or_org) if payer else ""
    if not payer_key:
        return label, "no payer (N1*PR) in the transaction set"
    if claim.status == REVERSAL_STATUS:
        kind = Kind.REVERSAL
    elif claim.status == DENIED_STATUS or is_denied(claim):
        kind = Kind.DENIED
    elif non_routine(claim):
        kind = Kind.ADJUSTED
    else:
        kind = Kind.PAID
    key = f"{tenant_id}:{payer_key}:{claim.payer_claim_number}"
    remittance = read.remittance
    paid_on = remittance.payment_date or (remittance.production_date.date if remittance.production_date else None)
    return SplitClaim(key, label, kind, claim.paid or Decimal(0), paid_on, standalone_835(text, group))


def standalone_835(text: str, group: list[ClaimRead]) -> str:
    """The claim's 835: the envelope and header as the file has them, the CLP loop (a reversal's and its
    correction's), and trailers that count what this copy holds, in the file's own delimiters."""
    remittance = group[0].remittance
    delimiters = remittance.delimiters
    assert delimiters is not None  # set on every transaction set read from an interchange
    isa, gs, *header = remittance.header
    body = [*header, *(s for read in group for s in read.segments)]  # ST first
    trailers = [
        f"SE{delimiters.element}{len(body) + 1}{delimiters.element}{remittance.segment.get('ST02')}",
        f"GE{delimiters.element}1{delimiters.element}{gs.get('GS06')}",
        f"IEA{delimiters.element}1{delimiters.element}{isa.get('ISA13')}",
    ]
    term = delimiters.terminator
    lines = [_isa(isa, delimiters.element)] + [_raw(text, s, term) for s in (gs, *body)] + trailers
    return term.join(lines) + term + ("" if term == "\n" else "\n")


def _isa(isa: Segment, element: str) -> str:
    """The fixed-width ISA with its padding (a copied file may have lost it; pyx12 strips it)."""
    values = [isa.parsed.get_value(f"ISA{n:02d}") or "" for n in range(1, 17)]
    return element.join(["ISA", *(str(v).ljust(w)[:w] for v, w in zip(values, ISA_WIDTHS, strict=True))])


def _raw(text: str, segment: Segment, term: str) -> str:
    """The segment as the file has it; a line break inside a segment ended by `~` was a hard wrap."""
    raw = text[segment.start : segment.end]
    return raw if term == "\n" or "\n" not in raw else re.sub(r"\s*\n\s*", "", raw)
