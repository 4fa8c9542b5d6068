"""Appeal contact: phone and fax (digits only, a printed leading 1 kept) and a mailing address."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import phonenumbers

from denialops_router.domain.structure import fields
from denialops_router.domain.text import Doc

# Words that say a number is for the next step on the denial's path.
_NEXT_STEP = re.compile(
    r"appeal|reconsider|dispute|review|request|reopen|reprocess|grievance|corrected|replacement|disagree|mistake|"
    r"retro|redetermination|complaint|hearing|external|independent|department of insurance|insurance department|"
    r"commissioner|eligib|enrollment|resubmi|rebill",
    re.IGNORECASE,
)
# Numbers that are not the next step's: other purposes named right before the number.
# `EDI` is a word (not the `edi` of `expedited`); a civil-rights grievance is the nondiscrimination notice's.
_OTHER_PURPOSE = re.compile(
    r"peer[- ]to[- ]peer|peer review|\bedi\b|help desk|technical|ombudsman|language|ayuda|interpret|pharmacy help|"
    r"questions about this letter only|nurse line|24/7|emergenc|civil rights|discriminat",
    re.IGNORECASE,
)
_FAX_CUE = re.compile(r"\b(?:fax(?:ed|ing)?|facsimile|fx)\b", re.IGNORECASE)
_PHONE_CUE = re.compile(r"\b(?:call(?:ing)?|phone|ph|tel|telephone|line|toll[- ]free)\b", re.IGNORECASE)
_TTY_CUE = re.compile(r"\b(?:tty|tdd|relay)\b\W*$", re.IGNORECASE)
# A printed number: an optional 1, the area code, exchange and line (letters allowed in a toll-free vanity
# number, `1-800-555-APPEAL`), an optional extension; a longer identifier around it is not a number.
# The first character is matched before anything else so that sre scans for it (a leading lookbehind made
# the pattern run at every position of the letter); the lookbehinds after it tell which character it was.
_AREA = r"(?:\(\d{3}\)\s?|\d{3}[-. ])"
_CANDIDATE = re.compile(
    r"[+(\d](?<![\w-].)(?:"
    rf"(?:(?<=\+)1[-. ]?{_AREA}|(?<=1)[-. ]?{_AREA}|(?<=\()\d{{3}}\)\s?|(?<=\d)\d\d[-. ])"
    r"\d{3}[-. ]\d{4}(?:,?\s*(?:ext\.?|extension|x)\s*\d{1,6})?(?![\w]|-\w)"
    r"|(?:(?<=1)[-. ]8|(?<=8))\d\d[-. ](?=[0-9A-Z-]*[A-Z])[0-9A-Z]{3}[-. ]?[0-9A-Z]{4,7}(?![\w-])"
    r")"
)
# How far back a cue may stand before its number (`fax a written request to X Appeals at NNN`).
_CUE_WINDOW = 80
_LETTERHEAD_CHARS = 300
_HEADER_NUMBER_LABELS = frozenset({"fax", "phone", "tel", "telephone", "fax no", "phone no", "fax number"})
# How near a To/From field a header's number stands (a few lines of a cover sheet).
_HEADER_REACH = 200
# A paragraph's heading: its first line, of a few words, at most this many lines above the number.
_PARAGRAPH_LINES = 12
_HEADING_WORDS = 8
_ADDRESS = re.compile(
    r"(?:P\.?\s?O\.?\s+Box\s+\d+|\b\d{1,6}\s+(?:[A-Z][\w.]*\s+){1,4}"
    r"(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Drive|Dr|Lane|Ln|Way|Parkway|Pkwy|Court|Ct|Place|Pl|"
    r"Plaza|Circle|Highway|Hwy|Bend|Square|Sq)\b\.?)"
    r"[^\n]{0,60}(?:\n[^\n]{0,60})?\b[A-Z]{2}\s+\d{5}(?:-\d{4})?"
)
_OUTSIDE_BODY = re.compile(
    r"department of (?:insurance|managed health care|health|financial services)|insurance (?:department|commissioner)|"
    r"external review|independent review|state fair hearing|fair hearing|hearing office|commissioner|"
    r"division of insurance|\bIRO\b",
    re.IGNORECASE,
)
_MAIL_CUE = re.compile(r"\b(?:mail|write|send|address|appeals?)\b[^\n]{0,80}$", re.IGNORECASE)


@dataclass(frozen=True)
class ContactHit:
    value: str
    start: int
    end: int
    confidence: float


@dataclass(frozen=True)
class _Number:
    digits: str
    start: int
    end: int


def find_contacts(doc: Doc, final: bool = False) -> tuple[ContactHit | None, ContactHit | None, ContactHit | None]:
    """(phone, fax, address) for the next step: numbers whose sentence names it win over the rest, an outside
    body's (a state hearing office, the Department of Insurance) when the decision is final; numbers for
    other purposes (peer-to-peer line, EDI help desk, TTY, ombudsman) lose."""
    phones: list[tuple[float, ContactHit]] = []
    faxes: list[tuple[float, ContactHit]] = []
    prev_end = 0
    for number in _numbers(doc.text):
        # Cues count inside the number's own sentence only (`... not by fax. Provider Services is NNN`).
        before = doc.text[max(prev_end, doc.sentence(number.start).start, number.start - _CUE_WINDOW) : number.start]
        prev_end = number.end
        if _TTY_CUE.search(before):
            continue
        score = _score(doc, number, before, final)
        hit = ContactHit(number.digits, number.start, number.end, 0.9 if score >= 1 else 0.7)
        (faxes if _is_fax(before) else phones).append((score, hit))
    address = None
    for am in _ADDRESS.finditer(doc.text):
        if _MAIL_CUE.search(doc.text[max(0, am.start() - 120) : am.start()]):
            address = ContactHit(" ".join(am.group().split()), am.start(), am.end(), 0.6)
            break
    return _best(phones), _best(faxes), address


def _numbers(text: str) -> list[_Number]:
    """US phone and fax numbers, digits as printed (a printed leading 1 kept). phonenumbers parses and
    validates each phone-shaped candidate (extensions, vanity letters); invalid numbers are dropped."""
    found: list[_Number] = []
    for m in _CANDIDATE.finditer(text):
        digits = _valid_digits(m.group())
        if digits is not None:
            found.append(_Number(digits, m.start(), m.end()))
    return found


# Letters print the same numbers on every page (and a payer's on every letter): each is parsed once.
@functools.lru_cache(maxsize=1024)
def _valid_digits(raw: str) -> str | None:
    """The number's digits (a printed leading 1 kept), None when phonenumbers finds no valid number."""
    try:
        number = phonenumbers.parse(raw, "US")
    except phonenumbers.NumberParseException:
        return None  # shaped like a number but not one: nothing to call
    if not phonenumbers.is_valid_number(number):
        return None
    national = str(number.national_number)
    return f"1{national}" if re.match(r"\+?1\D", raw) else national


def _is_fax(before: str) -> bool:
    """The nearer of a fax cue and a call cue before the number decides."""
    fax = [m.end() for m in _FAX_CUE.finditer(before)]
    call = [m.end() for m in _PHONE_CUE.finditer(before)]
    return bool(fax) and (not call or fax[-1] > call[-1])


def _score(doc: Doc, number: _Number, before: str, final: bool) -> float:
    sentence = doc.sentence(number.start)
    own = doc.text[sentence.start : sentence.end]
    previous = doc.text[doc.sentence(max(0, sentence.start - 1)).start : sentence.start] if sentence.start else ""
    # The heading of the number's paragraph names its purpose too (`Peer-to-peer discussion`, `How to appeal:`).
    heading = _paragraph_heading(doc, number.start)
    score = 1.0 if _NEXT_STEP.search(own) else 0.5 if _NEXT_STEP.search(previous + heading) else 0.0
    if final and _OUTSIDE_BODY.search(own + previous):
        score += 1.0
    if (
        _OTHER_PURPOSE.search(before[-60:])
        or _OTHER_PURPOSE.search(own[: number.start - sentence.start])
        or _OTHER_PURPOSE.search(heading)
    ):
        score -= 1.5
    if number.start < _LETTERHEAD_CHARS:
        score -= 0.25
    if number.start in _transmission_numbers(doc):
        score -= 1.0
    return score


def _paragraph_heading(doc: Doc, pos: int) -> str:
    """The first line of the paragraph holding `pos` when it is a heading (a few words, no sentence), else ""."""
    line = doc.line(pos)
    first = None
    for _ in range(_PARAGRAPH_LINES):
        if line.start == 0:
            break
        above = doc.line(line.start - 1)
        if not doc.text[above.start : above.end].strip():
            break
        line = first = above
    else:
        return ""  # no paragraph break near: running text or a table, no heading of its own
    if first is None:
        return ""
    text = doc.text[first.start : first.end].strip()
    return text if len(text.split()) <= _HEADING_WORDS and not text.endswith(".") else ""


def _transmission_numbers(doc: Doc) -> frozenset[int]:
    """Where numbers of a fax cover sheet's or memo's header stand (`To: ... Fax: NNN  From: ...`): they
    say where this page was sent from and to, not where the next step goes."""
    return doc.memo(_find_transmission_numbers)


def _find_transmission_numbers(doc: Doc) -> frozenset[int]:
    found = fields(doc)
    # `Attn:` alone is a mailing address's line (`Write to: ... Attn: Member Appeals ... Fax: NNN`), no header.
    ends = [f.label_span.start for f in found if f.label in ("to", "from", "sender", "recipient")]
    out = set()
    for f in found:
        if f.label in _HEADER_NUMBER_LABELS and any(abs(f.label_span.start - e) < _HEADER_REACH for e in ends):
            out.add(f.value_span.start)
    return frozenset(out)


def _best(found: list[tuple[float, ContactHit]]) -> ContactHit | None:
    if not found:
        return None
    top = max(score for score, _ in found)
    return next(hit for score, hit in found if score == top)
