"""What the letter says about its place in the appeal process, for the deadline engine.

Which level it decides (a redetermination notice opens the reconsideration), whether the denial is for
timely filing, whether it tells a Medicaid member how to keep services during the appeal, and whether
it is a pre-service decision. Patterns are lower-case and run on `Doc.lower`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from denialops_router.domain import letter_kind
from denialops_router.domain.patterns import scan, search
from denialops_router.domain.programmes import LEVEL_FROM_LETTER, MEDICAID_REGIMES
from denialops_router.domain.text import Doc
from denialops_shared.contracts.artifacts import CaseFacts, Regime

_LEVEL = r"(?:appeal|grievance|reconsideration|redetermination)"
_LEVEL_WORD = re.compile(_LEVEL)
_DECIDED = re.compile(
    rf"{_LEVEL}s? (?:decision|determination|notice|outcome|result|resolution)|"
    rf"decision (?:on|about|regarding) (?:your |the |this )?(?:request for (?:a |an )?)?{_LEVEL}|"
    rf"(?:reviewed|completed|decided) (?:your |the |this )?(?:request for (?:a |an )?)?{_LEVEL}"
)
# Promises and offers ("we will send our appeal decision", "if you ask for a redetermination") decide nothing.
_NOT_DECIDED = re.compile(r"\bwill\b|\bif\b|\bmay\b|\bcan\b|\bwithin\b|\bshould\b|\bwould\b|\bhow to\b")
_TIMELY_FILING = re.compile(r"timely filing|filing (?:limit|deadline|period)|time limit for filing")
_TIMELY_FILING_MISSED = re.compile(
    r"\b(?:expired|exceeded|passed|beyond|outside)\b|(?:received|submitted|filed) (?:after|late|past)|"
    r"not (?:received|filed|submitted) (?:within|by|on time)"
)
_CONDITIONAL = re.compile(r"\bif\b|\bunless\b|\bmust\b")
_CONTINUED = re.compile(
    r"(?:keep|continue) (?:to )?(?:get|getting|receiv\w*|your|the) (?:the )?(?:services?|benefits?|care|aid)|"
    r"(?:services?|benefits?) (?:will |may |can )?continue|aid (?:paid )?pending|aid continuing|"
    r"continuation of (?:benefits|services)"
)
_TIMELY_FILING_CARC = "29"


@dataclass(frozen=True)
class LetterSignals:
    decided_level: str | None = None  # appeal | reconsideration | redetermination, None for a first denial
    timely_filing: bool = False
    continued_benefits: bool = False
    pre_service: bool = False


def read_letter(facts: CaseFacts, doc: Doc, regime: Regime) -> LetterSignals:
    """Only what the regime's rules use is read: the level decided matters where it picks the next level,
    continued benefits in Medicaid."""
    return LetterSignals(
        decided_level=_decided_level(doc) if regime in LEVEL_FROM_LETTER else None,
        timely_filing=timely_filing_denial(facts, doc),
        continued_benefits=regime in MEDICAID_REGIMES and bool(search(_CONTINUED, doc.lower)),
        pre_service=letter_kind.pre_service(doc) is not None and facts.claim_number is None,
    )


def _decided_level(doc: Doc) -> str | None:
    for m in scan(_DECIDED, doc.lower):
        span = doc.sentence(m.start())
        if _NOT_DECIDED.search(doc.lower[span.start : m.start()]):
            continue
        word = _LEVEL_WORD.search(m.group(0))
        assert word is not None  # every branch of _DECIDED contains a level word
        return "appeal" if word.group(0) == "grievance" else word.group(0)
    return None


def timely_filing_denial(facts: CaseFacts, doc: Doc) -> bool:
    """CARC 29, a denial reason about the filing limit, or a sentence saying the limit was missed."""
    if any(c.kind == "carc" and c.code.rsplit("-", 1)[-1] == _TIMELY_FILING_CARC for c in facts.denial_codes):
        return True
    if facts.denial_reason and _TIMELY_FILING.search(facts.denial_reason.lower()):
        return True
    for m in scan(_TIMELY_FILING, doc.lower):
        span = doc.sentence(m.start())
        sentence = doc.lower[span.start : span.end]
        if _TIMELY_FILING_MISSED.search(sentence) and not _CONDITIONAL.search(sentence):
            return True
    return False
