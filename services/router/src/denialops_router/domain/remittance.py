"""Case facts of an X12 835 document, read from its segments instead of its prose.

One document is one case here, so the denied claim is chosen (denied outright, else partly denied,
else the first); every fact cites the segment it came from.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from denialops_router.domain.carc_table import carc_info, rarc_info
from denialops_router.domain.person_names import display_name
from denialops_router.domain.text import Doc, Span
from denialops_shared.contracts.artifacts import Contact, DenialCode
from denialops_shared.contracts.codes import CPT_SHAPE, HCPCS_SHAPE
from denialops_shared.remittance_rules import REVERSAL_STATUS, adjustments, is_denied, non_routine
from denialops_shared.x12_835 import Adjustment, Claim, Party, Remittance, Segment, read_835

# Member identification (MI), HIPAA individual id (II), Medicare HIC (HN), Medicaid recipient (C).
_MEMBER_ID_QUALIFIERS = frozenset({"MI", "II", "HN", "C"})
# Contact functions for the payer's claims office; BL is the EDI/technical help desk.
_CLAIM_CONTACTS = ("CX", "IC")
_SERVICE_DATES = ("472", "150", "232")

# Segments are read, not guessed: the values are as sure as the document.
_CONFIDENCE = 0.95
_CONTACT_FIELDS = {"appeal_phone": "phone", "appeal_fax": "fax"}
# Records one fact: field name, value, the segments it was read from.
_Put = Callable[[str, object, Iterable[Segment]], None]


@dataclass(frozen=True)
class RemitFact:
    value: object
    spans: tuple[Span, ...]


@dataclass(frozen=True)
class RemitFacts:
    """CaseFacts field name -> value read from the segments; plus what could not be read."""

    facts: dict[str, RemitFact]
    notes: tuple[str, ...]

    @property
    def issued(self) -> dt.date | None:
        fact = self.facts.get("date_of_denial")
        return fact.value if fact and isinstance(fact.value, dt.date) else None

    def put_into(self, put: Callable[[str, Any, float, Sequence[Span]], None], prose: dict[str, Any]) -> None:
        """Segment facts replace what the prose reading found; the prose fills what the segments lack."""
        for name, fact in self.facts.items():
            if name not in _CONTACT_FIELDS:
                put(name, fact.value, _CONFIDENCE, list(fact.spans))
        contact = {field: self.facts[name] for name, field in _CONTACT_FIELDS.items() if name in self.facts}
        if contact:
            merged = (prose.get("appeal_contact") or Contact()).model_copy(
                update={field: fact.value for field, fact in contact.items()}
            )
            put("appeal_contact", merged, _CONFIDENCE, [s for fact in contact.values() for s in fact.spans])


def read_remittance(doc: Doc) -> RemitFacts | None:
    """The facts of the denied claim, or None when the document holds no readable 835."""
    return doc.memo(_read)


def _read(doc: Doc) -> RemitFacts | None:
    reading = read_835(doc.text)
    notes = tuple(
        f"An X12 interchange could not be read ({u.reason}); its text was read as prose." for u in reading.unreadable
    )
    picked = _denied_claim(reading.remittances)
    if picked is None:
        return RemitFacts({}, notes) if notes else None
    remittance, claim = picked
    facts: dict[str, RemitFact] = {}

    def put(name: str, value: object, segments: Iterable[Segment]) -> None:
        if value is not None and value != "" and value != []:
            facts[name] = RemitFact(value, tuple(Span(s.start, s.end) for s in segments))

    payer = remittance.party("PR")
    if payer:
        put("payer_name", _organisation(doc, payer.last_or_org), [payer.segment])
    patient = claim.party("QC") or claim.party("IL")
    if patient and patient.is_person:
        put("patient_name", display_name(_person(patient)), [patient.segment])
    member = next((p for p in (claim.party("IL"), claim.party("QC")) if p and _is_member_id(p)), None)
    if member:
        put("member_id", _as_printed(doc, member.id, member.segment), [member.segment])
    provider = _provider(remittance, claim)
    if provider:
        name = _organisation(doc, provider.last_or_org) if not provider.is_person else display_name(_person(provider))
        put("provider_name", name, [provider.segment])
    if claim.payer_claim_number:
        put("claim_number", _as_printed(doc, claim.payer_claim_number, claim.segment), [claim.segment])
    _put_codes(claim, put)
    _put_dates(remittance, claim, put)
    _put_amounts(claim, put)
    _put_contact(remittance, claim, put)
    return RemitFacts(facts, notes)


def _denied_claim(remittances: Sequence[Remittance]) -> tuple[Remittance, Claim] | None:
    """Denied outright first, then partly denied, then any claim; the earliest of a rank wins."""
    claims = [(r, c) for r in remittances for c in r.claims]
    if not claims:
        return None
    return max(claims, key=lambda rc: (_denial_rank(rc[1]), -rc[1].segment.start))


def _denial_rank(claim: Claim) -> int:
    if claim.status == REVERSAL_STATUS:
        return 0
    if is_denied(claim):
        return 3
    return 2 if non_routine(claim) else 1


def _person(party: Party) -> str:
    return " ".join(p for p in (party.first, party.middle, party.last_or_org, party.suffix) if p)


def _is_member_id(party: Party) -> bool:
    return party.id_qualifier in _MEMBER_ID_QUALIFIERS and bool(party.id)


def _provider(remittance: Remittance, claim: Claim) -> Party | None:
    """The payee organisation (N1*PE); else the rendering provider of the claim (NM1*82)."""
    payee = remittance.party("PE")
    rendering = claim.party("82")
    if payee and payee.last_or_org:
        return payee
    return rendering if rendering and rendering.last_or_org else None


def _organisation(doc: Doc, name: str) -> str:
    """835 names are usually in capitals; use the document's mixed-case spelling when it prints one."""
    if not name.isupper():
        return name
    pattern = r"\s+".join(re.escape(w) for w in name.split())
    for m in re.finditer(pattern, doc.text, re.IGNORECASE):
        if not m.group().isupper():
            return " ".join(m.group().split())
    return " ".join(w if len(w) <= 3 and w not in ("OF", "AND", "THE") else w.capitalize() for w in name.split())


def _as_printed(doc: Doc, value: str, segment: Segment) -> str:
    """The same identifier as the readable part of the document prints it (`VAH-119-004-5521` for
    `VAH1190045521`), else as the segment has it."""
    chars = [re.escape(c) for c in value if c.isalnum()]
    if not chars:
        return value
    pattern = re.compile(r"(?<![\w-])" + r"[- ]?".join(chars) + r"(?![\w-])", re.IGNORECASE)
    for m in pattern.finditer(doc.text):
        if not segment.start <= m.start() < segment.end and not _inside_segment(doc, m.start()):
            return m.group()
    return value


def _inside_segment(doc: Doc, pos: int) -> bool:
    line = doc.line(pos)
    return re.match(r"\s*[A-Z][A-Z0-9]{1,2}[*|^~:]", doc.text[line.start : line.end]) is not None


def _procedure_kind(code: str) -> str | None:
    """CPT or HCPCS/CDT by the shared code grammar's shapes."""
    if re.fullmatch(CPT_SHAPE, code):
        return "cpt_codes"
    if re.fullmatch(HCPCS_SHAPE, code):
        return "hcpcs_codes"
    return None


def _put_codes(claim: Claim, put: _Put) -> None:
    by_kind: dict[str, dict[str, list[Segment]]] = {"cpt_codes": {}, "hcpcs_codes": {}}
    for line in claim.lines:
        kind = _procedure_kind(line.procedure) if line.qualifier in ("HC", "AD") else None
        if kind:
            by_kind[kind].setdefault(line.procedure, []).append(line.segment)
    for kind, codes in by_kind.items():
        put(kind, list(codes), [segs[0] for segs in codes.values()])
    mentions: dict[str, tuple[DenialCode, Segment]] = {}
    for adjustment in adjustments(claim):
        code = _carc(adjustment)
        mentions.setdefault(code.code, (code, adjustment.segment))
    remarks = claim.remarks + [r for line in claim.lines for r in line.remarks]
    for remark in sorted(remarks, key=lambda r: r.segment.start):
        info = rarc_info(remark.code)
        rarc = DenialCode(code=remark.code, kind="rarc", reason=remark.code, description=info[0] if info else None)
        mentions.setdefault(rarc.code, (rarc, remark.segment))
    ordered = sorted(mentions.values(), key=lambda m: m[1].start)
    put("denial_codes", [code for code, _ in ordered], [seg for _, seg in ordered])


def _carc(adjustment: Adjustment) -> DenialCode:
    info = carc_info(adjustment.reason)
    group = adjustment.group if adjustment.group in ("CO", "PR", "OA", "PI", "CR") else None
    return DenialCode(
        code=f"{group}-{adjustment.reason}" if group else adjustment.reason,
        kind="carc",
        group=group,
        reason=adjustment.reason,
        description=info[0] if info else None,
    )


def _put_dates(remittance: Remittance, claim: Claim, put: _Put) -> None:
    service = [
        d for d in claim.dates + [d for line in claim.lines for d in line.dates] if d.qualifier in _SERVICE_DATES
    ]
    if service:
        first = min(service, key=lambda d: d.date)
        put("date_of_service", first.date, [first.segment])
    if remittance.production_date:
        put("date_of_denial", remittance.production_date.date, [remittance.production_date.segment])


def _put_amounts(claim: Claim, put: _Put) -> None:
    put("billed_amount", claim.charge, [claim.segment])
    put("paid_amount", claim.paid, [claim.segment])
    put("patient_responsibility", claim.patient_responsibility, [claim.segment])
    allowed = [line.amounts["B6"] for line in claim.lines if "B6" in line.amounts]
    if "B6" in claim.amounts:
        allowed = [claim.amounts["B6"]]
    if allowed:
        put("allowed_amount", sum((a for a, _ in allowed), Decimal(0)), [s for _, s in allowed])


def _put_contact(remittance: Remittance, claim: Claim, put: _Put) -> None:
    """The claims office's phone and fax (PER*CX); the EDI help desk (PER*BL) is not the next step."""
    for contact in claim.contacts + remittance.contacts:
        if contact.function not in _CLAIM_CONTACTS:
            continue
        numbers = dict(contact.numbers)
        for qualifier, name in (("TE", "appeal_phone"), ("FX", "appeal_fax")):
            digits = re.sub(r"\D", "", numbers.get(qualifier, ""))
            if len(digits) >= 10:
                put(name, digits, [contact.segment])
        return
