"""X12 835 remittance advice inside a document's text, read with pyx12 into payers, claims and lines.

A document may hold one or several interchanges (ISA ... IEA) among prose: a clearinghouse viewer, an
e-mail with the raw file pasted in. Each interchange is located in the text, repaired where copying
text usually damages it (the fixed-width ISA padded out again, line breaks between or inside segments),
and read by pyx12's `X12Reader`, which takes the delimiters from the ISA and checks the envelopes. Every
segment keeps its offsets in the original text, so a fact read from it can cite the segment as evidence.

Only the reading lives here (no choice of claim, no case facts): the router makes one case of a
document, intake makes one case per claim of an uploaded file. `iter_835` streams: a claim is handed
over as soon as its loop ends and then dropped, so a 10,000-claim file is read in memory bounded by the
text plus one claim; `read_835` collects the same items into lists.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import pyx12.errors
import pyx12.segment
import pyx12.x12file

# Widths of ISA01..ISA16: the ISA is fixed-width, 106 characters with its terminator.
ISA_WIDTHS = (2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1, 1)
# `ISA` + the element separator + the two-digit authorization qualifier, then the same separator again.
_ISA_START = re.compile(r"ISA([^\w\s])\d\d\1")
_SEGMENT_ID = re.compile(r"[A-Z][A-Z0-9]{1,2}")
_TERMINATORS = "~\x1c\x1d\x1e\x1f"


@functools.cache
def _ref_index(ref: str) -> tuple[int, int | None]:
    """`CLP07` -> (6, None), `SVC01-2` -> (0, 1): zero-based element and component indexes."""
    m = re.fullmatch(r"[A-Z][A-Z0-9]{1,2}(\d\d)(?:-(\d+))?", ref)
    if m is None:
        raise ValueError(f"not a reference designator: {ref}")
    return int(m[1]) - 1, int(m[2]) - 1 if m[2] else None


@dataclass(frozen=True)
class Segment:
    """One segment as pyx12 parsed it, with its offsets in the document text (terminator excluded)."""

    parsed: pyx12.segment.Segment
    start: int
    end: int

    @property
    def id(self) -> str:
        return str(self.parsed.get_seg_id())

    def get(self, ref: str) -> str:
        """The element (`CLP07`) or component (`SVC01-2`) by reference designator; `""` when absent.

        As pyx12's `get_value`, with the designator's indexes parsed once (pyx12 parses a path per call,
        most of the time of a large file)."""
        element, component = _ref_index(ref)
        elements = self.parsed.elements
        if element >= len(elements):
            return ""
        found = elements[element]
        if component is not None:
            if component >= len(found):
                return ""
            found = found[component]
        value = found.format()
        return value.strip() if isinstance(value, str) else ""

    def amount(self, ref: str) -> Decimal | None:
        return _decimal(self.get(ref))

    def date(self, ref: str) -> dt.date | None:
        return _date(self.get(ref))


@dataclass(frozen=True)
class Party:
    """An N1 or NM1 entity: an organisation, or a person with name parts."""

    role: str  # entity identifier code: PR payer, PE payee, QC patient, IL insured, 82 rendering, ...
    last_or_org: str
    first: str
    middle: str
    suffix: str
    is_person: bool
    id_qualifier: str  # MI member id, XX NPI, FI tax id, ...
    id: str
    segment: Segment


@dataclass(frozen=True)
class Contact:
    """A PER segment: contact function (CX payer claims office, BL technical/EDI), name and numbers."""

    function: str
    name: str
    numbers: tuple[tuple[str, str], ...]  # (qualifier, number): TE phone, FX fax, EX extension, EM e-mail
    segment: Segment


@dataclass(frozen=True)
class Adjustment:
    """One reason of a CAS segment: group code (CO/PR/OA/PI/CR), CARC and amount."""

    group: str
    reason: str
    amount: Decimal | None
    segment: Segment


@dataclass(frozen=True)
class Remark:
    """A remittance advice remark code (RARC) from LQ*HE, MOA or MIA."""

    code: str
    segment: Segment


@dataclass(frozen=True)
class DatedSegment:
    qualifier: str  # DTM01: 472 service, 232/233 claim period, 050 received, 036 coverage expired, ...
    date: dt.date
    segment: Segment


@dataclass
class ServiceLine:
    """An SVC loop: the procedure billed and what became of it."""

    segment: Segment
    qualifier: str  # SVC01-1: HC (CPT/HCPCS), AD (dental), N4 (NDC), ...
    procedure: str
    modifiers: tuple[str, ...]
    charge: Decimal | None
    paid: Decimal | None
    units: str
    dates: list[DatedSegment] = field(default_factory=list)
    adjustments: list[Adjustment] = field(default_factory=list)
    remarks: list[Remark] = field(default_factory=list)
    amounts: dict[str, tuple[Decimal, Segment]] = field(default_factory=dict)  # AMT01 qualifier: B6 allowed


@dataclass
class Claim:
    """A CLP loop."""

    segment: Segment
    patient_control_number: str  # CLP01, the provider's account number
    status: str  # CLP02: 1/2/3 processed, 4 denied, 22 reversal, ...
    charge: Decimal | None  # CLP03
    paid: Decimal | None  # CLP04
    patient_responsibility: Decimal | None  # CLP05
    payer_claim_number: str  # CLP07, the payer's internal control number
    parties: list[Party] = field(default_factory=list)
    dates: list[DatedSegment] = field(default_factory=list)
    adjustments: list[Adjustment] = field(default_factory=list)
    remarks: list[Remark] = field(default_factory=list)
    amounts: dict[str, tuple[Decimal, Segment]] = field(default_factory=dict)
    contacts: list[Contact] = field(default_factory=list)
    lines: list[ServiceLine] = field(default_factory=list)

    def party(self, role: str) -> Party | None:
        return next((p for p in self.parties if p.role == role), None)


@dataclass(frozen=True)
class ProviderAdjustment:
    """One adjustment of a PLB segment: provider-level (a recoupment, interest, a levy), not a claim's."""

    provider_id: str  # PLB01
    fiscal_period: dt.date | None  # PLB02
    reason: str  # PLB03-1: WO overpayment recovery, L6 interest, FB forwarding balance, ...
    reference: str  # PLB03-2: often the claim the recoupment is about
    amount: Decimal | None
    segment: Segment


@dataclass
class Remittance:
    """One ST*835 transaction set."""

    segment: Segment  # the ST
    # ISA, GS, ST and the header and party loops before the first claim: what a claim needs to stand alone.
    header: list[Segment] = field(default_factory=list)
    delimiters: Delimiters | None = None
    production_date: DatedSegment | None = None  # DTM*405
    payment_date: dt.date | None = None  # BPR16
    parties: list[Party] = field(default_factory=list)  # N1 loops: PR payer, PE payee
    contacts: list[Contact] = field(default_factory=list)  # PER in the payer loop
    claims: list[Claim] = field(default_factory=list)
    provider_adjustments: list[ProviderAdjustment] = field(default_factory=list)

    def party(self, role: str) -> Party | None:
        return next((p for p in self.parties if p.role == role), None)


@dataclass(frozen=True)
class Delimiters:
    element: str
    component: str
    terminator: str  # "\n" when the file ends segments at line breaks


@dataclass(frozen=True)
class ClaimRead:
    """A claim whose loop has ended, with its remittance (header and parties; `claims` not collected)."""

    remittance: Remittance
    claim: Claim
    segments: list[Segment]  # the CLP loop, CLP first


@dataclass(frozen=True)
class RemittanceRead:
    """A transaction set whose SE was read: its provider-level adjustments are complete."""

    remittance: Remittance


@dataclass(frozen=True)
class EnvelopeError:
    """An envelope check pyx12 failed (counts, control numbers, a missing trailer), where it failed.

    `description` is ours, naming the element, never quoting the data."""

    code: str  # pyx12's level and code: `st 4` (SE01 count), `gs 5` (GE01), `isa 021` (IEA01), ...
    description: str
    segment_id: str
    position: int  # 1-based segment number within the interchange (the ISA is 1)
    offset: int  # of the segment in the text


@dataclass(frozen=True)
class InterchangeRead:
    """Where an interchange lay in the text (ISA through IEA, or as far as it was read)."""

    start: int
    end: int


@dataclass(frozen=True)
class Unreadable:
    """An interchange that pyx12 refused; the reason is pyx12's error class, never the data."""

    start: int
    reason: str


@dataclass
class Reading:
    remittances: list[Remittance] = field(default_factory=list)
    envelope_errors: list[EnvelopeError] = field(default_factory=list)
    unreadable: list[Unreadable] = field(default_factory=list)


def has_interchange(text: str) -> bool:
    return _ISA_START.search(text) is not None


Item = ClaimRead | RemittanceRead | EnvelopeError | Unreadable | InterchangeRead


def read_835(text: str) -> Reading:
    """Every 835 transaction in every interchange found in `text`."""
    reading = Reading()
    for item in iter_835(text):
        if isinstance(item, ClaimRead):
            item.remittance.claims.append(item.claim)
        elif isinstance(item, RemittanceRead):
            reading.remittances.append(item.remittance)
        elif isinstance(item, EnvelopeError):
            reading.envelope_errors.append(item)
        elif isinstance(item, Unreadable):
            reading.unreadable.append(item)
    return reading


def iter_835(text: str) -> Iterator[Item]:
    """The interchanges of `text` as a stream: each claim when its loop ends, each transaction set at its
    SE (or where the interchange stops), envelope errors where pyx12 found them."""
    pos = 0
    while (m := _ISA_START.search(text, pos)) is not None:
        pieces, end = _interchange(text, m.start(), m.group(1))
        pos = max(end, m.end())
        if not pieces:
            yield Unreadable(m.start(), "the ISA segment is incomplete")
            continue
        yield InterchangeRead(m.start(), pieces[-1][1])
        try:
            yield from _transactions(_parse(text, pieces, m.group(1)))
        except pyx12.errors.X12Error as exc:
            # Only the kind of failure is kept: pyx12's messages quote the segment, which may be PHI.
            yield Unreadable(m.start(), f"pyx12 could not read the interchange ({_kind(exc)})")


def _kind(exc: Exception) -> str:
    message = str(exc)
    for cue, kind in (("ISA line", "the ISA segment is not 106 characters"), ("Version", "unknown X12 version")):
        if cue in message:
            return kind
    return type(exc).__name__


def _interchange(text: str, start: int, sep: str) -> tuple[list[tuple[int, int]], int]:
    """The (start, end) of each segment of the interchange at `start`, and where the interchange ends.

    The terminator follows ISA16; when it is whitespace, segments end at line breaks. The interchange
    ends after IEA, or before the first piece that is not a segment (the prose after a pasted file).
    """
    isa = _isa_elements(text, start, sep)
    if isa is None:
        return [], start + 3
    isa_end = isa
    term = text[isa_end] if isa_end < len(text) else "\n"
    if term.isspace():
        term = "\n"
    pieces = [(start, isa_end)]
    pos = isa_end + 1
    while pos < len(text):
        nxt = text.find(term, pos)
        end = len(text) if nxt < 0 else nxt
        raw = text[pos:end]
        stripped = raw.strip()
        if stripped:
            seg_id = stripped.split(sep, 1)[0]
            if not _SEGMENT_ID.fullmatch(seg_id) or (nxt < 0 and seg_id != "IEA"):
                break
            lead = len(raw) - len(raw.lstrip())
            pieces.append((pos + lead, pos + lead + len(stripped)))
            if seg_id == "IEA":
                return pieces, end + 1
        pos = end + 1
    return pieces, pos


def _isa_elements(text: str, start: int, sep: str) -> int | None:
    """Offset just past ISA16 (the component separator), or None when the ISA is cut short."""
    pos = start + 3
    for width in ISA_WIDTHS[:-1]:
        nxt = text.find(sep, pos + 1, pos + 1 + width + 40)
        if nxt < 0:
            return None
        pos = nxt
    # ISA16 is one character after the last separator.
    return pos + 2 if pos + 2 <= len(text) else None


def _parse(
    text: str, pieces: list[tuple[int, int]], sep: str
) -> Iterator[Segment | EnvelopeError | Delimiters | Unreadable]:
    """Hand pyx12 the interchange with a canonical ISA and one segment per line; keep the offsets.

    Yields the delimiters first, then each segment followed by the envelope errors pyx12 found on it."""
    isa_start, isa_end = pieces[0]
    values = text[isa_start + 4 : isa_end].split(sep)
    if len(values) != len(ISA_WIDTHS):
        yield Unreadable(isa_start, "the ISA segment does not have 16 elements")
        return
    # Copying text collapses the ISA's space padding; pad every element back to its fixed width.
    isa = sep.join(
        ["ISA", *(v.strip().ljust(w)[:w] if w > 1 else v[:1] for v, w in zip(values, ISA_WIDTHS, strict=True))]
    )
    # A line break inside a segment is a hard wrap: rejoin it without the break.
    body = [re.sub(r"\s*\n\s*", "", text[s:e]) for s, e in pieces[1:]]
    # Any terminator the data does not contain will do: pyx12 reads it from the ISA's last character.
    term = next((c for c in _TERMINATORS if c not in (sep, isa[-1]) and not any(c in b for b in body)), "~")
    source = term.join([isa, *body]) + term
    del body
    original_term = text[isa_end] if isa_end < len(text) and not text[isa_end].isspace() else "\n"
    yield Delimiters(sep, isa[-1], original_term)
    reader = pyx12.x12file.X12Reader(io.StringIO(source))
    parsed = iter(reader)
    for position, (s, e) in enumerate(pieces, start=1):
        try:
            parsed_segment = next(parsed, None)
        except (IndexError, KeyError):
            # pyx12 trips over some broken envelopes (a GE without its GS) instead of reporting them.
            parsed_segment = None
        if parsed_segment is None:
            yield Unreadable(s, "the envelope is broken at this segment")
            return
        seg = Segment(parsed_segment, s, e)
        yield seg
        for kind, code, *_ in reader.pop_errors():
            if kind != "seg":  # segment-level notes (trailing separators) are not envelope checks
                yield _envelope_error(kind, code, seg.id, position, s)
    reader.cleanup()
    for kind, code, *_ in reader.pop_errors():
        yield _envelope_error(kind, code, "", len(pieces) + 1, pieces[-1][1])


# What each envelope check of pyx12 means, in words that quote no data.
_ENVELOPE_CHECKS = {
    ("st", "2"): "the transaction set has no SE trailer",
    ("st", "3"): "SE02 does not match the ST02 control number",
    ("st", "4"): "SE01 does not count the transaction set's segments",
    ("st", "23"): "ST02 repeats another transaction set's control number",
    ("gs", "3"): "the functional group has no GE trailer",
    ("gs", "4"): "GE02 does not match the GS06 control number",
    ("gs", "5"): "GE01 does not count the group's transaction sets",
    ("gs", "6"): "GS06 repeats another group's control number",
    ("isa", "001"): "IEA02 does not match the ISA13 control number",
    ("isa", "021"): "IEA01 does not count the interchange's functional groups",
    ("isa", "023"): "the interchange has no IEA trailer",
    ("isa", "024"): "a functional group is not terminated before IEA",
    ("isa", "025"): "ISA13 repeats another interchange's control number",
}


def _envelope_error(kind: str, code: str, segment_id: str, position: int, offset: int) -> EnvelopeError:
    description = _ENVELOPE_CHECKS.get((kind, code), f"envelope check {kind} {code} failed")
    return EnvelopeError(f"{kind} {code}", description, segment_id, position, offset)


def _transactions(items: Iterator[Segment | EnvelopeError | Delimiters | Unreadable]) -> Iterator[Item]:
    """Group the segments of 835 transaction sets into payer loops, claims and service lines."""
    envelope: list[Segment] = []  # ISA and GS: the start of every transaction set's header
    delimiters: Delimiters | None = None
    current: Remittance | None = None
    claim: ClaimRead | None = None
    line: ServiceLine | None = None
    for seg in items:
        if isinstance(seg, Delimiters):
            delimiters = seg
            continue
        if isinstance(seg, EnvelopeError | Unreadable):
            yield seg
            continue
        sid = seg.id
        ends_claim = sid in ("CLP", "LX", "PLB", "SE", "GE", "IEA", "ST")
        if claim is not None and ends_claim:
            yield claim
            claim = line = None
        if sid in ("ISA", "GS"):
            envelope = [envelope[0], seg] if sid == "GS" and envelope else [seg]
            continue
        if sid == "ST":
            if current is not None:
                yield RemittanceRead(current)
            current = (
                Remittance(seg, header=[*envelope, seg], delimiters=delimiters) if seg.get("ST01") == "835" else None
            )
            continue
        if current is None:
            continue
        if sid == "SE":
            yield RemittanceRead(current)
            current = None
        elif sid == "CLP":
            claim = ClaimRead(current, _clp(seg), [seg])
        elif sid == "PLB":
            current.provider_adjustments.extend(_plb(seg))
        elif claim is not None:
            claim.segments.append(seg)
            line = _claim_segment(claim.claim, line, seg)
        elif sid != "LX":
            _header_segment(current, seg)
    if claim is not None:
        yield claim
    if current is not None:
        yield RemittanceRead(current)


def _header_segment(remittance: Remittance, seg: Segment) -> None:
    """A segment before the first claim: kept for the claim's own copy, and read where it is a fact."""
    remittance.header.append(seg)
    sid = seg.id
    if sid == "BPR":
        remittance.payment_date = seg.date("BPR16")
    elif sid == "DTM":
        dated = _dated(seg)
        if dated and dated.qualifier == "405":
            remittance.production_date = dated
    elif sid == "N1":
        remittance.parties.append(_n1(seg))
    elif sid == "PER":
        remittance.contacts.append(_per(seg))


def _plb(seg: Segment) -> list[ProviderAdjustment]:
    """PLB01 provider, PLB02 fiscal period end, then up to six (reason:reference, amount) pairs."""
    out = []
    for first in range(3, 15, 2):
        reason = seg.get(f"PLB{first:02d}-1") or seg.get(f"PLB{first:02d}")
        if reason:
            out.append(
                ProviderAdjustment(
                    provider_id=seg.get("PLB01"),
                    fiscal_period=seg.date("PLB02"),
                    reason=reason,
                    reference=seg.get(f"PLB{first:02d}-2"),
                    amount=seg.amount(f"PLB{first + 1:02d}"),
                    segment=seg,
                )
            )
    return out


def _claim_segment(claim: Claim, line: ServiceLine | None, seg: Segment) -> ServiceLine | None:
    """Attach a segment of a CLP loop to the claim or its current service line; returns the line."""
    sid = seg.id
    if sid == "SVC":
        line = _svc(seg)
        claim.lines.append(line)
        return line
    owner: Claim | ServiceLine = line if line is not None else claim
    if sid == "CAS":
        owner.adjustments.extend(_cas(seg))
    elif sid == "DTM":
        dated = _dated(seg)
        if dated:
            owner.dates.append(dated)
    elif sid == "AMT":
        amount = seg.amount("AMT02")
        if amount is not None:
            owner.amounts[seg.get("AMT01")] = (amount, seg)
    elif sid == "LQ" and line is not None and seg.get("LQ01") == "HE":
        line.remarks.append(Remark(seg.get("LQ02"), seg))
    elif sid in ("MOA", "MIA"):
        claim.remarks.extend(_remark_elements(seg))
    elif sid == "NM1" and line is None:
        claim.parties.append(_nm1(seg))
    elif sid == "PER" and line is None:
        claim.contacts.append(_per(seg))
    return line


# MOA03-07 and MIA05, MIA20-24 carry remark codes; the other elements are amounts and counts.
_REMARK_ELEMENTS = {"MOA": ("03", "04", "05", "06", "07"), "MIA": ("05", "20", "21", "22", "23", "24")}


def _remark_elements(seg: Segment) -> list[Remark]:
    codes = (seg.get(f"{seg.id}{n}") for n in _REMARK_ELEMENTS[seg.id])
    return [Remark(code, seg) for code in codes if code]


def _clp(seg: Segment) -> Claim:
    return Claim(
        segment=seg,
        patient_control_number=seg.get("CLP01"),
        status=seg.get("CLP02"),
        charge=seg.amount("CLP03"),
        paid=seg.amount("CLP04"),
        patient_responsibility=seg.amount("CLP05"),
        payer_claim_number=seg.get("CLP07"),
    )


def _svc(seg: Segment) -> ServiceLine:
    modifiers = tuple(m for m in (seg.get(f"SVC01-{i}") for i in range(3, 7)) if m)
    return ServiceLine(
        segment=seg,
        qualifier=seg.get("SVC01-1"),
        procedure=seg.get("SVC01-2"),
        modifiers=modifiers,
        charge=seg.amount("SVC02"),
        paid=seg.amount("SVC03"),
        units=seg.get("SVC05"),
    )


def _cas(seg: Segment) -> list[Adjustment]:
    """CAS01 is the group; then up to six (reason, amount, quantity) triples."""
    group = seg.get("CAS01")
    out = []
    for first in range(2, 20, 3):
        reason = seg.get(f"CAS{first:02d}")
        if reason:
            out.append(Adjustment(group, reason, seg.amount(f"CAS{first + 1:02d}"), seg))
    return out


def _n1(seg: Segment) -> Party:
    return Party(seg.get("N101"), seg.get("N102"), "", "", "", False, seg.get("N103"), seg.get("N104"), seg)


def _nm1(seg: Segment) -> Party:
    return Party(
        role=seg.get("NM101"),
        last_or_org=seg.get("NM103"),
        first=seg.get("NM104"),
        middle=seg.get("NM105"),
        suffix=seg.get("NM107"),
        is_person=seg.get("NM102") == "1",
        id_qualifier=seg.get("NM108"),
        id=seg.get("NM109"),
        segment=seg,
    )


def _per(seg: Segment) -> Contact:
    numbers = []
    for first in range(3, 9, 2):
        qualifier, number = seg.get(f"PER{first:02d}"), seg.get(f"PER{first + 1:02d}")
        if qualifier and number:
            numbers.append((qualifier, number))
    return Contact(seg.get("PER01"), seg.get("PER02"), tuple(numbers), seg)


def _dated(seg: Segment) -> DatedSegment | None:
    date = seg.date("DTM02")
    return DatedSegment(seg.get("DTM01"), date, seg) if date else None


def _decimal(value: str) -> Decimal | None:
    if not value:
        return None
    try:
        return Decimal(value)
    except InvalidOperation:
        return None


def _date(value: str) -> dt.date | None:
    """X12 dates are CCYYMMDD (YYMMDD in the ISA)."""
    if not re.fullmatch(r"\d{8}", value):
        return None
    try:
        return dt.date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        return None
