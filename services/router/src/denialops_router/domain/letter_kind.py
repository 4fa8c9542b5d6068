"""What kind of document the letter is: initial denial, remittance, pre-service decision, appeal decision
(offering another level, final, or forwarded to an independent review entity), expedited.

Patterns are lower-case and run on `Doc.lower` (much faster than IGNORECASE).
"""

from __future__ import annotations

import re

from denialops_router.domain.text import Doc, Span
from denialops_router.domain.text import at_word as _w

_FINAL = re.compile(
    r"final (?:internal )?(?:appeal )?(?:decision|determination|adverse)|(?:second|third|last) and final "
    r"(?:level|appeal)|decision\s*:\s*final|final internal|(?:ends|exhausted|completes|concludes|end of)\b[^.]{0,40}"
    r"internal (?:appeal|review)|used all (?:of )?(?:your |the )?internal (?:appeal|review)|no (?:additional|further|"
    r"other|more) internal (?:level|appeal|review)|final level of (?:[\w']+ )?(?:internal )?(?:appeal|review)|"
    r"final (?:internal )?level|(?:2|two) of (?:2|two)\b"
)
# Another internal level offered. "The IRE's letter will explain the next level" is the outside body's, not ours.
_MORE_LEVELS = re.compile(
    r"(?:you|your \w+) (?:may|can|have the right to) (?:request|ask for|file|submit) (?:a |an )?"
    r"(?:second|next|another|further|higher)[- ]level|next level of (?:internal )?(?:appeal|review)|"
    r"this is not (?:a |the |your )?final|(?:it|this) is not (?:the |our |your )?[\w']+ final|"
    r"right to (?:a |an )?(?:second|next|another|further|higher)[- ]level"
)
_OUTSIDE_BODY = re.compile(r"independent review entity|\bire\b|external|administrative law judge|state fair hearing")
_APPEAL_DECISION = re.compile(
    r"\b(?:appeal|reconsideration|redetermination|grievance)\b[^.]{0,60}\b(?:decision|review|upheld|uphold)|"
    r"decision on (?:your )?appeal|appeals? (?:committee|unit|decision|case)|"
    r"(?:reconsidered|reviewed) (?:our|your|the) (?:decision|appeal)|case status[^\n]{0,20}\b(?:upheld|closed)|"
    r"(?:appeal|reconsideration) (?:no|number|#|id)\b"
)
# A Medicare Advantage plan that keeps its denial on reconsideration must send the case on itself.
_FORWARDED = re.compile(
    r"(?:send|sent|forward(?:ed)?|sending|forwarding) (?:your |the |this )?(?:case|file|appeal|case file)"
    r"[^.]{0,80}(?:independent review entity|\(ire\)|\bire\b)|"
    r"automatically to (?:an? |the )?(?:independent review|ire\b)"
)
_UPHELD = re.compile(
    rf"{_w('uph')}[eo]ld|keep the denial|keeping (?:our|the) (?:decision|denial)|"
    r"denial (?:stands|remains|is maintained|was maintained)|did not decide (?:fully )?in your favou?r|"
    r"affirm(?:s|ed)? (?:the|our) (?:denial|decision)|maintain(?:s|ed)? (?:the|our) (?:denial|decision)|"
    r"decision (?:stands|is unchanged)"
)
_OVERTURNED = re.compile(rf"{_w('overturn')}(?:ed|s)?\b|{_w('reverse')}d?\b|approved on appeal")
_REMITTANCE = re.compile(
    r"remittance|explanation of (?:payment|benefits)|provider voucher|payment summary|"
    rf"{_w('eob')}\b|{_w('eop')}\b|{_w('era')}\b|{_w('835')}\b|clp\*|cas\*|"
    r"check (?:no|number|#)|eft (?:no|number|#|trace)"
)

# Case matters here: a heading in capitals (`URGENT APPEAL - SECOND LEVEL`).
_URGENT_HEADING = re.compile(r"^[^a-z\n]*\b(?:URGENT|EXPEDITED)\b[^a-z\n]*$", re.MULTILINE)
_URGENT_LABEL = re.compile(r"\b(?:request|review|appeal|decision|case) type\s*[:=][^\n]*\b(?:urgent|expedited)\b")
_URGENT_PROSE = re.compile(
    r"\b(?:your|this|the) (?:request|appeal|review|case) (?:is|was) (?:urgent|expedited)|"
    r"\b(?:an|the|our|your|this) (?:urgent|expedited|fast)(?: \S+)? (?:appeal|review|request|decision)"
)
_CONDITIONAL = re.compile(r"\bif\b|\bmay\b|\bcan\b|\bright to\b|\bask for\b|\brequest an?\b|\bwould\b|\bshould\b")
_PRE_SERVICE = re.compile(
    r"pre-?service (?:request|review|appeal|decision|determination)|request type\s*:\s*pre-?service|"
    r"(?:prior authorization|precertification|pre-?authorization) request (?:is|was|has been) denied"
)


def final_appeal_decision(doc: Doc) -> tuple[bool, list[Span]]:
    """(is a final internal appeal decision, evidence): the plan's last level, or a case it sent on to an IRE."""
    finals = [Span(m.start(), m.end()) for m in _FINAL.finditer(doc.lower)]
    forwarded = forwarded_to_independent_review(doc)
    if forwarded is not None:
        finals.insert(0, forwarded)
    is_final = bool(finals) and appeal_decision(doc) is not None and more_levels(doc) is None
    return is_final, finals[:2]


def appeal_decision(doc: Doc) -> Span | None:
    """Evidence that the letter decides an appeal or reconsideration (not an initial denial)."""
    m = _APPEAL_DECISION.search(doc.lower)
    return Span(m.start(), m.end()) if m else None


def more_levels(doc: Doc) -> Span | None:
    """An offer of another internal appeal level (the letter is then not the plan's final word)."""
    for m in _MORE_LEVELS.finditer(doc.lower):
        if not _OUTSIDE_BODY.search(doc.sentence_text(m.start())):
            return Span(m.start(), m.end())
    return None


def forwarded_to_independent_review(doc: Doc) -> Span | None:
    """The plan sent the case to an independent review entity itself (no request needed from anyone)."""
    m = _FORWARDED.search(doc.lower)
    return Span(m.start(), m.end()) if m else None


def upheld(doc: Doc) -> tuple[bool, list[Span]]:
    """Whether an appeal decision keeps the denial (anything short of an overturn counts)."""
    m = _UPHELD.search(doc.lower)
    if m:
        return True, [Span(m.start(), m.end())]
    return not _OVERTURNED.search(doc.lower), []


def overturned(doc: Doc) -> Span | None:
    m = _OVERTURNED.search(doc.lower)
    return Span(m.start(), m.end()) if m else None


def remittance(doc: Doc) -> Span | None:
    """Evidence that the document is a remittance or an explanation of benefits/payment, not a letter."""
    m = _REMITTANCE.search(doc.lower)
    return Span(m.start(), m.end()) if m else None


def expedited(doc: Doc) -> list[Span]:
    """Evidence that the decision itself was made on an urgent basis (offers of a fast appeal don't count)."""
    if not any(w in doc.lower for w in ("urgent", "expedited", "fast")):
        return []
    spans = [Span(m.start(), m.end()) for m in _URGENT_HEADING.finditer(doc.text)]
    spans += [Span(m.start(), m.end()) for m in _URGENT_LABEL.finditer(doc.lower)]
    for m in _URGENT_PROSE.finditer(doc.lower):
        sentence = doc.sentence(m.start())
        if not _CONDITIONAL.search(doc.lower[sentence.start : m.start()]):
            spans.append(Span(m.start(), m.end()))
    return spans


def pre_service(doc: Doc) -> Span | None:
    m = _PRE_SERVICE.search(doc.lower)
    return Span(m.start(), m.end()) if m else None
