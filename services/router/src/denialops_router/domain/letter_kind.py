"""What kind of document the letter is: initial denial, remittance, pre-service decision, appeal decision
(offering another level, final, or forwarded to an independent review entity), expedited.

Patterns are lower-case and run on `Doc.lower` (much faster than IGNORECASE); a space matches a line break too.
"""

from __future__ import annotations

import re

from denialops_router.domain.patterns import lower_pattern, scan, search
from denialops_router.domain.text import Doc, Span
from denialops_router.domain.text import at_word as _w

# Every top-level branch starts with a literal (see `text.at_word`): these run over whole letters.
_FINAL = lower_pattern(
    r"final (?:internal )?(?:appeal )?(?:decision|determination|adverse)|second and final (?:level|appeal)|"
    r"third and final (?:level|appeal)|last and final (?:level|appeal)|decision\s*:\s*final|final internal|"
    + "|".join(
        f"{_w(w)}\\b[^.]{{0,40}}internal (?:appeal|review)" for w in ("ends", "exhausted", "completes", "concludes")
    )
    + r"|end of\b[^.]{0,40}internal (?:appeal|review)|used all (?:of )?(?:your |the )?internal (?:appeal|review)|"
    r"no (?:additional|further|other|more) internal (?:level|appeal|review)|"
    r"final level of (?:[\w']+ )?(?:internal )?(?:appeal|review)|final (?:internal )?level|"
    r"no (?:additional|further|other|more) (?:levels? of )?(?:appeals?|reviews?) (?:rights )?(?:is |are )?"
    r"(?:available )?(?:with|through|within|from) (?:the|our|this|your) (?:plan|company|organization)|"
    r"exhausted (?:all )?(?:of )?(?:your|the) (?:plan's )?(?:appeal|review) (?:rights|process|levels)"
)
_ANOTHER_LEVEL = r"(?:(?:second|next|another|further|higher)[- ]level|level (?:2|3|ii|iii|two|three)\b)"
# Another internal level offered. "The IRE's letter will explain the next level" is the outside body's, not ours.
_MORE_LEVELS = lower_pattern(
    rf"you (?:may|can|have the right to) (?:request|ask for|file|submit) (?:a |an )?{_ANOTHER_LEVEL}|"
    rf"your \w+ (?:may|can|have the right to) (?:request|ask for|file|submit) (?:a |an )?{_ANOTHER_LEVEL}|"
    r"next level of (?:internal )?(?:appeal|review)|this is not (?:a |the |your )?final|"
    r"it is not (?:the |our |your )?[\w']+ final|this is not (?:the |our |your )?[\w']+ final|"
    rf"right to (?:a |an )?{_ANOTHER_LEVEL}"
)
_OUTSIDE_BODY = lower_pattern(r"independent review entity|\bire\b|external|administrative law judge|state fair hearing")
_APPEAL_DECISION = lower_pattern(
    "|".join(
        f"{_w(w)}\\b[^.]{{0,60}}\\b(?:decision|review|upheld|uphold)"
        for w in ("appeal", "reconsideration", "redetermination", "grievance")
    )
    + r"|decision on (?:your )?appeal|appeal (?:committee|unit|decision|case)|appeals (?:committee|unit|decision|case)|"
    r"reconsidered (?:our|your|the) (?:decision|appeal)|reviewed (?:our|your|the) (?:decision|appeal)|"
    r"case status[^\n]{0,20}\b(?:upheld|closed)|appeal (?:no|number|#|id)\b|reconsideration (?:no|number|#|id)\b|"
    r"review of (?:your|the) (?:appeal|grievance|request for (?:reconsideration|redetermination))"
)
# A Medicare Advantage plan that keeps its denial on reconsideration must send the case on itself.
_FORWARDED = lower_pattern(
    "|".join(
        f"{verb} (?:your |the |this )?(?:case|file|appeal|case file)[^.]{{0,80}}"
        r"(?:independent review entity|\(ire\)|\bire\b)"
        for verb in ("send", "sent", "forward", "sending")
    )
    + r"|automatically to (?:an? |the )?(?:independent review|ire\b)"
)
_HYPOTHETICAL = lower_pattern(r"\bif\b|\bunless\b|\bshould\b|\bwhen\b")
_UPHELD = lower_pattern(
    rf"{_w('uph')}[eo]ld|keep the denial|keeping (?:our|the) (?:decision|denial)|"
    r"denial (?:stands|remains|is maintained|was maintained)|did not decide (?:fully )?in your favou?r|"
    r"affirm(?:s|ed)? (?:the|our) (?:denial|decision)|maintain(?:s|ed)? (?:the|our) (?:denial|decision)|"
    r"decision (?:stands|is unchanged)"
)
_OVERTURNED = lower_pattern(rf"{_w('overturn')}(?:ed|s)?\b|{_w('reverse')}d?\b|approved on appeal")
_REMITTANCE = lower_pattern(
    r"remittance|explanation of (?:payment|benefits)|provider voucher|payment summary|"
    rf"{_w('eob')}\b|{_w('eop')}\b|{_w('era')}\b|{_w('835')}\b|clp\*|cas\*|"
    r"check (?:no|number|#)|eft (?:no|number|#|trace)"
)
# A remittance the letter names as another party's, missing or still to come is not this document
# (`send the other payer's EOB`, `missing explanation of benefits`, `no remittance will be sent`).
_NOT_THIS_REMITTANCE = re.compile(
    r"(?:'s|s'|\bits|\btheir|\bother (?:payer|plan|insurer|carrier|insurance)|\bprimary(?: [\w-]+)?|\bmissing|"
    r"\bno|\bfuture|\bwait for(?: the)?|\bawait(?: the)?)\s+(?:[\w-]+/)?$"
)

# Case matters here: a heading in capitals (`URGENT APPEAL - SECOND LEVEL`).
_URGENT_HEADING = re.compile(r"^[^a-z\n]*\b(?:URGENT|EXPEDITED)\b[^a-z\n]*$", re.MULTILINE)
# A heading on a kind of request (`EXPEDITED (URGENT) APPEALS`) is appeal-rights text; `URGENT CARE` is a clinic.
_RIGHTS_HEADING = re.compile(
    r"\b(?:URGENT|EXPEDITED|FAST)\b(?:\s*\([A-Z]+\))?\s+(?:APPEALS|REVIEWS|REQUESTS|GRIEVANCES|DECISIONS)\b|"
    r"\bURGENT\s+CARE\b|\bHOW TO\b|\bYOUR RIGHTS?\b|\bIF YOU\b"
)
_URGENT_LABEL = lower_pattern(
    r"\b(?:(?:request|review|appeal|decision|case) type|type of (?:request|review|appeal|decision|case))\s*[:=]"
    r"[^\n]*\b(?:urgent|expedited)\b"
)
_URGENT_PROSE = lower_pattern(
    r"\b(?:your|this|the) (?:request|appeal|review|case) (?:is|was) (?:urgent|expedited)|"
    r"\b(?:an|the|our|your|this) (?:urgent|expedited|fast)(?: \S+)? (?:appeal|review|request|decision)"
)
# Offers, and the plan's rules for any request (`we will decide an expedited appeal within 24 hours`).
_CONDITIONAL = lower_pattern(
    r"\bif\b|\bmay\b|\bcan\b|\bright to\b|\bask for\b|\brequest an?\b|\bwould\b|\bshould\b|\bwill\b"
)
# A decision on a request for a service not yet given (the claim, and its date of service, come later).
_PRE_SERVICE = lower_pattern(
    r"pre-?service|request type\s*:\s*pre-?service|"
    r"(?:prior authorization|precertification|pre-?authorization|authorization|coverage|approval) request\b|"
    r"request(?:ed)? for (?:prior authorization|precertification|pre-?authorization|coverage|approval)|"
    r"requested (?:service|item|drug|medication|procedure|admission|surgery)|"
    r"planned (?:for|date|admission|surgery|procedure)|before you (?:receive|get) (?:the|this|these)|"
    r"(?:service|drug|item|medication|procedure|quantity) requested|requested by\b|coverage determination|"
    r"denial of (?:medical )?coverage|your request for (?!(?:an? |the |your )?(?:appeal|reconsideration|review|"
    r"hearing|redetermination|external))"
)
# A message about a claim rather than the notice itself: an e-mail (its `From:` and `Subject:` headers), or
# a chat, call notes or a portal thread whose lines are stamped with a time (`[05/16/2025 09:12]`, `[19:12]`).
_EMAIL_FROM = lower_pattern(r"(?:^|\n)\s*from:")
_EMAIL_SUBJECT = lower_pattern(r"(?:^|\n)\s*subject:")
_STAMPED_LINE = re.compile(r"^\s*\[?(?:\d{1,2}/\d{1,2}/\d{2,4},?\s+)?\d{1,2}:\d\d\b", re.MULTILINE)
_STAMPED_LINES = 2


def final_appeal_decision(doc: Doc) -> tuple[bool, list[Span]]:
    """(is a final internal appeal decision, evidence): the plan's last level, or a case it sent on to an IRE."""
    return doc.memo(_final_appeal_decision)


def _final_appeal_decision(doc: Doc) -> tuple[bool, list[Span]]:
    finals = [Span(m.start(), m.end()) for m in scan(_FINAL, doc.lower)]
    forwarded = forwarded_to_independent_review(doc)
    if forwarded is not None:
        finals.insert(0, forwarded)
    is_final = bool(finals) and appeal_decision(doc) is not None and more_levels(doc) is None
    return is_final, finals[:2]


def appeal_decision(doc: Doc) -> Span | None:
    """Evidence that the letter decides an appeal or reconsideration (not an initial denial)."""
    return doc.memo(_appeal_decision)


def _appeal_decision(doc: Doc) -> Span | None:
    m = search(_APPEAL_DECISION, doc.lower)
    return Span(m.start(), m.end()) if m else None


def more_levels(doc: Doc) -> Span | None:
    """An offer of another internal appeal level (the letter is then not the plan's final word)."""
    return doc.memo(_more_levels)


def _more_levels(doc: Doc) -> Span | None:
    for m in scan(_MORE_LEVELS, doc.lower):
        if not _OUTSIDE_BODY.search(doc.sentence_text(m.start())):
            return Span(m.start(), m.end())
    return None


def forwarded_to_independent_review(doc: Doc) -> Span | None:
    """The plan sent the case to an independent review entity itself (no request needed from anyone).

    Appeal-rights boilerplate says what would happen ("if we do not decide in your favor, we will send
    your case to an IRE"): a conditional sentence is not the plan doing it.
    """
    return doc.memo(_forwarded_to_independent_review)


def _forwarded_to_independent_review(doc: Doc) -> Span | None:
    for m in scan(_FORWARDED, doc.lower):
        sentence = doc.sentence(m.start())
        if not _HYPOTHETICAL.search(doc.lower[sentence.start : m.start()]):
            return Span(m.start(), m.end())
    return None


def upheld(doc: Doc) -> tuple[bool, list[Span]]:
    """Whether an appeal decision keeps the denial (anything short of an overturn counts)."""
    return doc.memo(_upheld)


def _upheld(doc: Doc) -> tuple[bool, list[Span]]:
    for m in scan(_UPHELD, doc.lower):
        # "If we uphold our decision, you may ..." is appeal-rights text, not the decision.
        sentence = doc.sentence(m.start())
        if not _HYPOTHETICAL.search(doc.lower[sentence.start : m.start()]):
            return True, [Span(m.start(), m.end())]
    return not search(_OVERTURNED, doc.lower), []


def overturned(doc: Doc) -> Span | None:
    return doc.memo(_overturned)


def _overturned(doc: Doc) -> Span | None:
    m = search(_OVERTURNED, doc.lower)
    return Span(m.start(), m.end()) if m else None


def remittance(doc: Doc) -> Span | None:
    """Evidence that the document is a remittance or an explanation of benefits/payment, not a letter."""
    return doc.memo(_remittance)


def _remittance(doc: Doc) -> Span | None:
    for m in scan(_REMITTANCE, doc.lower):
        if not _NOT_THIS_REMITTANCE.search(doc.lower, max(0, m.start() - 40), m.start()):
            return Span(m.start(), m.end())
    return None


def expedited(doc: Doc) -> list[Span]:
    """Evidence that the decision itself was made on an urgent basis (offers of a fast appeal don't count)."""
    if not any(w in doc.lower for w in ("urgent", "expedited", "fast")):
        return []
    headings = (m for m in _URGENT_HEADING.finditer(doc.text) if not _RIGHTS_HEADING.search(m.group()))
    spans = [Span(m.start(), m.end()) for m in headings]
    spans += [Span(m.start(), m.end()) for m in scan(_URGENT_LABEL, doc.lower)]
    for m in scan(_URGENT_PROSE, doc.lower):
        sentence = doc.sentence(m.start())
        if not _CONDITIONAL.search(doc.lower[sentence.start : m.start()]):
            spans.append(Span(m.start(), m.end()))
    return spans


def pre_service(doc: Doc) -> Span | None:
    return doc.memo(_pre_service)


def _pre_service(doc: Doc) -> Span | None:
    m = search(_PRE_SERVICE, doc.lower)
    return Span(m.start(), m.end()) if m else None


def message(doc: Doc) -> bool:
    """The document is a message (e-mail, chat, call notes, portal thread): dated when it was written, it may
    report on a notice dated earlier."""
    return doc.memo(_message)


def _message(doc: Doc) -> bool:
    if search(_EMAIL_FROM, doc.lower) and search(_EMAIL_SUBJECT, doc.lower):
        return True
    stamps = _STAMPED_LINE.finditer(doc.text)
    return next(stamps, None) is not None and next(stamps, None) is not None
