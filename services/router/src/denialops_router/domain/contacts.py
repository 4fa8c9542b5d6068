"""Appeal contact: phone and fax (digits only, a printed leading 1 kept) and a mailing address."""

from __future__ import annotations

import re
from dataclasses import dataclass

from denialops_router.domain.text import Doc

_PHONE = re.compile(
    r"(?<![\w-])(?:\+?(?P<one>1)[-. ]?)?(?:\((?P<a1>\d{3})\)\s?|(?P<a2>\d{3})[-. ])"
    r"(?P<b>\d{3})[-. ](?P<c>\d{4})(?![\d-])"
)
_NEXT_STEP = re.compile(
    r"appeal|reconsider|dispute|review|request|reopen|grievance|corrected|replacement|disagree|mistake|"
    r"retro|redetermination|complaint",
    re.IGNORECASE,
)
_ADDRESS = re.compile(
    r"(?:P\.?\s?O\.?\s+Box\s+\d+|\b\d{1,6}\s+(?:[A-Z][\w.]*\s+){1,4}"
    r"(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Drive|Dr|Lane|Ln|Way|Parkway|Pkwy|Court|Ct|Place|Pl|"
    r"Plaza|Circle|Highway|Hwy|Bend|Square|Sq)\b\.?)"
    r"[^\n]{0,60}(?:\n[^\n]{0,60})?\b[A-Z]{2}\s+\d{5}(?:-\d{4})?"
)
_MAIL_CUE = re.compile(r"\b(?:mail|write|send|address|appeals?)\b[^\n]{0,80}$", re.IGNORECASE)


@dataclass(frozen=True)
class ContactHit:
    value: str
    start: int
    end: int
    confidence: float


def find_contacts(doc: Doc) -> tuple[ContactHit | None, ContactHit | None, ContactHit | None]:
    """(phone, fax, address) for the next step; numbers in next-step sentences win over the rest."""
    phones: list[tuple[int, ContactHit]] = []
    faxes: list[tuple[int, ContactHit]] = []
    prev_end = 0
    for m in _PHONE.finditer(doc.text):
        before = doc.lower[max(prev_end, m.start() - 45) : m.start()]
        prev_end = m.end()
        if re.search(r"\btty\W*$", before):
            continue
        digits = (m.group("one") or "") + (m.group("a1") or m.group("a2")) + m.group("b") + m.group("c")
        score = 1 if _NEXT_STEP.search(doc.sentence_text(m.start())) else 0
        hit = ContactHit(digits, m.start(), m.end(), 0.9 if score else 0.7)
        (faxes if "fax" in before else phones).append((score, hit))
    address = None
    for am in _ADDRESS.finditer(doc.text):
        if _MAIL_CUE.search(doc.text[max(0, am.start() - 120) : am.start()]):
            address = ContactHit(" ".join(am.group().split()), am.start(), am.end(), 0.6)
            break
    return _best(phones), _best(faxes), address


def _best(found: list[tuple[int, ContactHit]]) -> ContactHit | None:
    if not found:
        return None
    top = max(score for score, _ in found)
    return next(hit for score, hit in found if score == top)
