"""The letter's own deadline for the next step: a printed date, or a window counted from the notice.

A window is a span of days or calendar months phrased as a limit (`within 60 days`, `no later than
4 months after`, `you have 180 days from`). What it counts from decides what it is: from this
letter (notice, decision, EOB, remittance date) it is the window to answer this letter, and the
deadline is the letter's date plus the window; from its receipt, the deadline is unknown; from the
date of service, a discharge or a placement it is a filing or benefit limit, not a window. Limits
on the payer's own answer (`we will decide within 30 days`) are not windows either; a window of
another level (`within 4 months of our final decision`) only counts in that final decision. A case
the plan forwards to the next level itself has no window and no deadline.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from denialops_router.domain import letter_kind
from denialops_router.domain.text import Doc, Span
from denialops_shared.contracts.artifacts import DeadlineBasis
from denialops_shared.periods import add_months

_NUMBERS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30, "forty-five": 45,
    "forty five": 45, "sixty": 60, "sixty-five": 65, "sixty five": 65, "ninety": 90,
    "one hundred twenty": 120, "one hundred and twenty": 120, "one hundred eighty": 180,
    "one hundred and eighty": 180, "three hundred sixty-five": 365,
}  # fmt: skip
_WORDS = "|".join(sorted((re.escape(k) for k in _NUMBERS), key=len, reverse=True))
# Found by its unit, then its number just before: a scan for literals is far faster than for `\b\d`.
_UNIT = re.compile(r"(?:day|month|year)s?\b")
# The digits in parentheses are the number whatever the words before them (`twenty-one (21) days`); a
# hard-wrapped line may put the unit under an indent (`within 120\n     days`).
_NUMBER = re.compile(
    rf"(?:(?<![\w.,])(?P<num>\d{{1,3}}|{_WORDS})|\((?P<paren>\d{{1,3}})\))(?:-|\s+)(?:calendar\s+|business\s+|working\s+)?$"
)
# Phrased as a limit before the number (`within`, `no later than`, `you have`), or after it (`60 days of/after/from`).
_LIMIT_BEFORE = re.compile(
    r"(?:within|up to|no (?:more|later) than|not later than|you have|have|until|allow(?:s|ed)?|in the next)\s*$",
    re.IGNORECASE,
)
_COUNTED = re.compile(r"^,?\s*(?:of|after|from|following|counted|starting|since)\b", re.IGNORECASE)
# A count that is no limit: a rate (`2 pens per 28 days`), a length of treatment (`at least 30 days of`).
_NOT_A_LIMIT = re.compile(r"(?:\bper|\bevery|\bat least|\bonly|\blast(?:ed)?)\s*$", re.IGNORECASE)
# A length (`for 30 days of therapy`), unless counted from this letter or its receipt (`accepted for 180 days
# after the date of this EOB`).
_FOR = re.compile(r"\bfor\s*$", re.IGNORECASE)
# The next step, named in the sentence (strong) or only as a verb (weak; the sentence before counts too).
_STEP = re.compile(
    r"appeal|reconsider|redetermination|dispute|grievance|hearing|external review|independent review|"
    r"corrected claim|resubmi|reopen|retro-?(?:referral|authori[sz]ation)|replacement claim|disagree",
    re.IGNORECASE,
)
_ACTION = re.compile(r"request|\bask\b|\bfile\b|\bsend\b|submit|\bfax\b|\benter\b|reach us|accepted until", re.I)
# What the window counts from.
_FROM_RECEIPT = re.compile(
    r"^[^.]{0,60}?(?:(?:you|member|provider)\s+(?:\w+\s+)?(?:receive|get)|receipt of (?:this|the|our)|"
    r"receiving (?:this|the|our|your) (?:letter|notice|decision|determination|statement|eob|eop|explanation|"
    r"remit\w*|denial|message)|"
    r"reaches you|(?:is|was) delivered|date (?:you|of) receiv)",
    re.IGNORECASE,
)
_DOCUMENT = (
    r"(?:letter|notice|memo|statement|decision|determination|eob|eop|remit\w*|explanation|denial|notification|"
    r"rejection|message)"
)
_FROM_LETTER = re.compile(
    rf"^[^.]{{0,80}}?(?:(?:this|our) (?:[\w-]+ ){{0,3}}{_DOCUMENT}|date (?:at the top|printed|shown|above)|"
    rf"date (?:on|of|printed on|shown on) (?:this|the|your|our) (?:[\w-]+ ){{0,2}}{_DOCUMENT}|"
    r"(?:notice|issue|statement|remit(?:tance)?|eob|eop|decision|denial|rejection|letter|processing) date|"
    r"\bissued\b|\bprocessed\b)",
    re.IGNORECASE,
)
# Counted from another event: a filing, benefit or care limit, or a later level's decision.
_FROM_OTHER = re.compile(
    r"^,?\s*(?:of|after|from|following|counted from|since)\s+(?:the\s+)?(?:(?:date|day|end)\s+(?:of\s+)?)?"
    r"(?:the\s+)?(?:services?|discharge|admission|placement|purchase|birth|enrol|hire|terminat|its\b|their\b|"
    r"last|first|start|when|treatment|care|dispens|delivery|primary|other (?:payer|carrier|plan))|"
    # `more information within 10 days after the IRO tells you`: an event of someone else's.
    r"^,?\s*after\s+(?:the\s+)?(?:iro|ire|we|it|they|reviewer)\s+(?:tells?|notif|gets?|receives?|confirm|acknowledg)",
    re.IGNORECASE,
)
_LATER_LEVEL = re.compile(
    r"^[^.]{0,60}?(?:final (?:internal )?(?:appeal )?(?:decision|determination|adverse)|(?:decision|determination)"
    r" (?:on|about) (?:your|the) appeal|(?:ire|iro|independent review \w+)'?s? decision)",
    re.IGNORECASE,
)
_FILING_LIMIT = re.compile(
    r"timely filing|filing (?:limit|period|deadline)|to (?:submit|file) (?:a |the |your |new )?claims?\b|"
    r"claims? (?:must|to) (?:be (?:submitted|filed|received)|reach us)|accepts? (?:new |original )?claims",
    re.IGNORECASE,
)
# The payer's (or reviewer's) own time to answer: `we will decide within 30 days`, `decided within 72 hours`.
_RESPONSE_TIME = re.compile(
    r"\b(?:we|it|they|the (?:plan|iro|ire|reviewer|organi[sz]ation))\s+(?:will|must|shall|may|should)?\s*"
    r"(?:decide|respond|notify|answer|tell|make (?:a|its|our|the) decision|send (?:you )?(?:a |its |our |the )?"
    r"(?:decision|answer|file|response)|give (?:you )?(?:a|our|its) (?:decision|answer))\b[^.]{0,40}\bwithin\b|"
    r"\bwithin\b[^.]{0,40}\bafter (?:it|we|they) (?:gets?|receives?)\b|"
    r"\b(?:decided|answered|resolved|reviewed|processed)\s+within|decision (?:will be|is) (?:made|sent|mailed)",
    re.IGNORECASE,
)
_EXTERNAL = re.compile(
    r"external review|independent review|\biro\b|\bire\b|fair hearing|insurance department|department of insurance|"
    r"administrative law judge|\balj\b",
    re.IGNORECASE,
)
# A printed date for the next step: `appeals must be filed by: December 2, 2025`, `no later than 05/17/2025`.
_PRINTED_CUE = re.compile(
    r"\b(?:until|by|before|no later than|not later than|on or before|due(?: date)?|"
    r"(?:deadline|last day)\b[^.\d]{0,30}?(?:is)?)\s*:?\s*$",
    re.IGNORECASE,
)
_NOT_A_DEADLINE = re.compile(r"coverage|enrol|effective|eligib|reset|elect|cobra|schedul|surgery", re.IGNORECASE)


@dataclass
class Deadline:
    window_days: int | None = None
    deadline: dt.date | None = None
    basis: DeadlineBasis = DeadlineBasis.UNKNOWN
    evidence: list[Span] = field(default_factory=list)
    assumptions: list[str] = field(default_factory=list)
    confidence: float = 0.0


@dataclass(frozen=True)
class _Window:
    amount: int
    months: bool
    anchor: str  # "letter", "receipt" or "unstated"
    span: Span
    external: bool
    score: int


def find_deadline(doc: Doc, denial_date: dt.date | None, final_decision: bool) -> Deadline:
    forwarded = letter_kind.forwarded_to_independent_review(doc)
    if forwarded is not None:
        return Deadline(
            evidence=[forwarded],
            assumptions=["The plan sends the case to the next level itself: no request and no deadline apply."],
            confidence=0.7,
        )
    windows = _windows(doc, final_decision)
    if final_decision and any(w.external for w in windows):
        windows = [w for w in windows if w.external]
    result = Deadline()
    if windows:
        w = max(windows, key=lambda w: w.score)  # the first of the best
        result.window_days = None if w.months else w.amount
        result.evidence.append(w.span)
        result.confidence = 0.85
        if w.anchor == "receipt":
            result.basis = DeadlineBasis.FROM_RECEIPT
            result.assumptions.append(
                "The appeal window counts from when the letter was received; the receipt date is not printed, "
                "so no deadline date is computed (allow for mail time)."
            )
        elif denial_date is not None:
            result.basis = DeadlineBasis.FROM_DENIAL_DATE
            result.deadline = (
                add_months(denial_date, w.amount) if w.months else denial_date + dt.timedelta(days=w.amount)
            )
            if w.anchor == "unstated":
                result.assumptions.append(
                    "The letter does not say when the window starts; counted from the letter date."
                )
                result.confidence = 0.6
    printed = _printed_deadline(doc, denial_date)
    if printed is not None:
        result.deadline, span = printed
        result.basis = DeadlineBasis.PRINTED
        result.evidence.append(span)
        result.confidence = 0.9
    return result


def _windows(doc: Doc, final_decision: bool) -> list[_Window]:
    out: list[_Window] = []
    for unit in _UNIT.finditer(doc.lower):
        m = _NUMBER.search(doc.lower, max(0, unit.start() - 30), unit.start())
        if m is None:
            continue
        sentence = doc.sentence(m.start())
        text = doc.text[sentence.start : sentence.end]
        before = doc.text[max(sentence.start, m.start() - 40) : m.start()]
        after = doc.text[unit.end() : sentence.end]
        limit = bool(_LIMIT_BEFORE.search(before))
        if _NOT_A_LIMIT.search(before) or not (limit or _COUNTED.search(after)):
            continue
        if _FROM_OTHER.search(after) or (_LATER_LEVEL.search(after) and not final_decision):
            continue
        if _RESPONSE_TIME.search(doc.text[sentence.start : m.end() + 40]):
            continue
        anchor = "receipt" if _FROM_RECEIPT.search(after) else "letter" if _FROM_LETTER.search(after) else "unstated"
        if anchor == "unstated" and _FOR.search(before):
            continue
        # A limit counted from this letter answers it; one with no start named may be a filing limit.
        if anchor == "unstated" and _FILING_LIMIT.search(text):
            continue
        score = _score(doc, sentence, text, anchor, limit)
        amount = int(m.group("paren")) if m.group("paren") else _amount(m.group("num"))
        if score <= 0 or amount <= 0:
            continue
        # A window in years is one in calendar months (`within one year` = 12 months).
        months = not unit.group().startswith("day")
        amount *= 12 if unit.group().startswith("year") else 1
        # `... external review by an IRO. The IRO is independent. You must ask no later than 4 months after ...`
        context = doc.text[_sentences_back(doc, sentence, 2) : sentence.end]
        external = bool(_EXTERNAL.search(context))
        out.append(_Window(amount, months, anchor, Span(m.start(), unit.end()), external, score))
    return out


def _score(doc: Doc, sentence: Span, text: str, anchor: str, limit: bool) -> int:
    """How surely the window is the next step's: the step named (2) or an action only (1), plus its start."""
    if _STEP.search(text):
        step = 2
    else:
        # The action may be named in the sentence before: `You can appeal. Do this within 60 days ...`.
        earlier = doc.text[_sentences_back(doc, sentence, 1) : sentence.end]
        step = 1 if _ACTION.search(text) or _STEP.search(earlier) else 0
    if step == 0 and not (limit and anchor != "unstated"):
        return 0
    return step + (anchor != "unstated")


def _sentences_back(doc: Doc, sentence: Span, count: int) -> int:
    """Where the sentence `count` sentences before `sentence` starts."""
    start = sentence.start
    for _ in range(count):
        start = doc.sentence(max(0, start - 2)).start
    return start


def _amount(raw: str) -> int:
    raw = raw.lower()
    return int(raw) if raw.isdigit() else _NUMBERS.get(re.sub(r"\s+", " ", raw.replace("-", " ")), _NUMBERS.get(raw, 0))


def _printed_deadline(doc: Doc, denial_date: dt.date | None) -> tuple[dt.date, Span] | None:
    for d in doc.dates:
        # A deadline is after the letter: `a claim that reached us by 02/18/2025` tells of the past.
        if denial_date is not None and d.value <= denial_date:
            continue
        sentence = doc.sentence(d.start)
        before = doc.text[max(sentence.start, d.start - 50) : d.start]
        text = doc.text[sentence.start : sentence.end]
        if (
            _PRINTED_CUE.search(before)
            and (_STEP.search(text) or _ACTION.search(text))
            and not _FILING_LIMIT.search(text)
            and not _NOT_A_DEADLINE.search(text)
        ):
            return d.value, Span(d.start, d.end)
    return None
