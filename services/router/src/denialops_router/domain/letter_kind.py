"""What kind of decision the letter is: final internal appeal decision, expedited, pre-service.

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
    r"other|more) internal (?:level|appeal|review)|final level of (?:internal )?(?:appeal|review)"
)
_MORE_LEVELS = re.compile(
    r"(?:you|your \w+) (?:may|can|have the right to) (?:request|ask for|file|submit) (?:a |an )?"
    r"(?:second|next|another|further|higher)[- ]level|next level of (?:internal )?(?:appeal|review)|"
    r"this is not (?:a |the |your )?final"
)
_APPEAL_DECISION = re.compile(
    r"\b(?:appeal|reconsideration|redetermination|grievance)\b[^.]{0,60}\b(?:decision|review|upheld|uphold)|"
    r"decision on (?:your )?appeal|appeals? (?:committee|unit|decision)"
)
_UPHELD = re.compile(
    rf"{_w('uph')}[eo]ld|keep the denial|denial (?:stands|remains|is maintained|was maintained)|"
    r"affirm(?:s|ed)? (?:the|our) (?:denial|decision)|maintain(?:s|ed)? (?:the|our) (?:denial|decision)|"
    r"decision (?:stands|is unchanged)"
)
_OVERTURNED = re.compile(rf"{_w('overturn')}(?:ed|s)?\b|{_w('reverse')}d?\b|approved on appeal")

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
    """(is a final internal appeal decision, evidence)."""
    if "final" not in doc.lower and "internal" not in doc.lower:
        return False, []
    finals = [Span(m.start(), m.end()) for m in _FINAL.finditer(doc.lower)]
    is_final = bool(finals) and bool(_APPEAL_DECISION.search(doc.lower)) and not _MORE_LEVELS.search(doc.lower)
    return is_final, finals[:2]


def upheld(doc: Doc) -> tuple[bool, list[Span]]:
    """Whether an appeal decision keeps the denial (anything short of an overturn counts)."""
    m = _UPHELD.search(doc.lower)
    if m:
        return True, [Span(m.start(), m.end())]
    return not _OVERTURNED.search(doc.lower), []


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
