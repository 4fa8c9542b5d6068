"""Plan rules from an SBC / EOC: prior authorization, medical necessity, exclusions, appeals, filing, cost sharing.

The document is cut into *units* (a sentence, a bullet, a table row), each under the section heading it falls
under (numbered sections, ALL CAPS lines, Markdown headings), so every rule is cited by page and section.
Bullets remember the sentence that introduces them ("We do not cover the following:").
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal

from denialops_router.domain.text import Doc, Span, make_doc
from denialops_shared.contracts.artifacts import (
    AppealRights,
    CaseFacts,
    PlanCitation,
    PlanRule,
    PlanRules,
    Route,
    Signal,
)

_MARKDOWN = re.compile(r"^\s*#{1,6}\s+(?P<t>\S.{0,100}?)\s*#*\s*$")
_NUMBERED = re.compile(
    r"^\s*(?P<t>(?:(?:section|article|part|chapter)\s+)?\d{1,2}(?:\.\d{1,2})*[.:]?\s+[A-Z][^\n]{1,80}?)\s*$", re.I
)
# `1.2 Medically Necessary. Medically Necessary means ...`: a numbered term with its body on the same line.
_NUMBERED_TERM = re.compile(r"^\s*(?P<t>\d{1,2}\.\d{1,2}\s+[A-Z][\w'/-]*(?:\s+[A-Za-z][\w'/-]*){0,5})\.\s+(?=\S)")
_BULLET = re.compile(r"^\s*(?:[-*\u2022]|\d{1,2}[.)]|\(?[a-z][.)])\s+")
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z(\"'])")
_MONEY = re.compile(r"\$\s?(\d{1,3}(?:,\d{3})+|\d+)(\.\d{2})?")
_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "twelve": 12, "thirty": 30,
                 "sixty": 60, "ninety": 90}  # fmt: skip
_PERIOD = re.compile(
    r"\b(?P<n>\d{1,3}|one|two|three|four|five|six|twelve|thirty|sixty|ninety)(?:\s*\(\d{1,3}\))?[- ]"
    r"(?:calendar |business )?(?P<unit>days?|months?|years?)\b",
    re.I,
)

_PA = re.compile(
    r"prior authori[sz]ation|pre-?authori[sz]ation|pre-?certification|precert\w*|prior approval|"
    r"(?:our|plan) approval before|approved (?:by us )?before you",
    re.I,
)
_PA_NOT_NEEDED = re.compile(
    r"(?:is|are) not required|(?:does|do) not (?:require|need)|doesn't require|not needed|no (?:prior |pre-?)?"
    r"authori[sz]ation (?:is )?(?:required|needed)",
    re.I,
)
_PA_SUBJECT = re.compile(
    r"^(?P<s>.{3,120}?)\s+(?:require|requires|need|needs|must have)\s+(?:a\s+|an\s+)?(?:prior|pre)", re.I
)
_PA_OBJECT = re.compile(r"\b(?:required|needed|must be obtained)\s+(?:for|before)\s+(?P<s>[^.;]{3,120})", re.I)
_MN = re.compile(r"medically necessary|medical necessity", re.I)
_DEFINES = re.compile(r"\bmeans\b|\bis defined\b|\bdefinition\b|\brefers to\b|\bshall mean\b", re.I)
_EXCLUSION_HEADING = re.compile(r"exclu|not cover|does not cover|limitations", re.I)
_EXCLUSION_LEAD = re.compile(r"\b(?:we|plan|this plan) (?:does|do) not cover|not covered|excluded|exclusions", re.I)
_EXCLUDED_SUBJECT = re.compile(r"^(?P<s>.{3,120}?)\s+(?:is|are)\s+(?:excluded|not covered)\b", re.I)
_APPEAL = re.compile(r"appeal|grievance|external review|independent review|reconsideration", re.I)
_EXTERNAL = re.compile(r"external review|independent review|\biro\b", re.I)
_RESPONSE_TIME = re.compile(r"\b(?:decide[sd]?|respond|response|notify|answer|decision within)\b", re.I)
_REQUEST = re.compile(r"\b(?:file|request|submit|ask|send|appeal)\b", re.I)
_ORDINAL_LEVEL = re.compile(r"\b(first|second|third|1st|2nd|3rd)[- ]level\b|\blevel (?P<n>[123])\b", re.I)
_LEVEL_COUNT = re.compile(r"\b(?P<n>one|two|three|[123]) levels? of (?:internal )?(?:appeal|review)", re.I)
_EXPEDITED = re.compile(r"\b(?:expedited|urgent|fast)\b", re.I)
_TIMELY_FILING = re.compile(
    r"timely filing|file (?:a |the |your )?claims?|claims? (?:must be )?(?:filed|submitted|received)|"
    r"submit (?:a |the |your )?claims?",
    re.I,
)
_DEDUCTIBLE = re.compile(r"deductible", re.I)
_OUT_OF_POCKET = re.compile(
    r"out-of-pocket (?:limit|maximum)|maximum out-of-pocket|most you (?:could |will )?pay", re.I
)
_TIER = re.compile(r"^\s*(?:per\s+)?(?P<t>individual|family|person|member|self-only|employee|single)\b", re.I)
_NETWORK = re.compile(r"\b(in-network|out-of-network|in network|out of network)\b", re.I)
_PLAN_NAME = re.compile(r"(?P<n>(?:[A-Z0-9][\w'&-]*\s+){1,5}(?:PPO|HMO|EPO|POS|HDHP|Plan))\b")
_LEVELS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3}


@dataclass(frozen=True)
class _Unit:
    span: Span
    text: str
    section: str | None
    bullet: bool
    lead: str | None  # the sentence introducing a bullet list


def extract_plan_rules(pages: Sequence[str], document: int = 1) -> PlanRules:
    """Read one plan document (`pages[i]` is page i+1); what is not found stays empty.

    A bug raises (the router's stage reports it as failed) rather than passing for a plan without rules.
    """
    return _extract(make_doc(pages), document)


def merge_plan_rules(parts: Sequence[PlanRules]) -> PlanRules:
    """Several plan documents (an SBC and an EOC): lists add up, single rules come from the first that has one."""
    if not parts:
        return PlanRules()
    appeals = [p.appeals for p in parts]
    return PlanRules(
        plan_name=next((p.plan_name for p in parts if p.plan_name), None),
        prior_authorization=[r for p in parts for r in p.prior_authorization],
        medical_necessity=next((p.medical_necessity for p in parts if p.medical_necessity), None),
        exclusions=[r for p in parts for r in p.exclusions],
        appeals=AppealRights(
            internal_levels=max((a.internal_levels for a in appeals if a.internal_levels), default=None),
            internal_appeal_days=next((a.internal_appeal_days for a in appeals if a.internal_appeal_days), None),
            external_review=any(a.external_review for a in appeals),
            external_review_days=next((a.external_review_days for a in appeals if a.external_review_days), None),
            external_review_months=next((a.external_review_months for a in appeals if a.external_review_months), None),
            expedited_available=any(a.expedited_available for a in appeals),
            rules=[r for a in appeals for r in a.rules],
        ),
        timely_filing=next((p.timely_filing for p in parts if p.timely_filing), None),
        deductibles=[r for p in parts for r in p.deductibles],
        out_of_pocket_limits=[r for p in parts for r in p.out_of_pocket_limits],
    )


def _extract(doc: Doc, document: int) -> PlanRules:
    units = list(_units(doc))

    def cite(unit: _Unit) -> PlanCitation:
        where = doc.evidence(unit.span.start, unit.span.end)
        return PlanCitation(document=document, page=where.page, section=unit.section, start=where.start, end=where.end)

    def costs(topic: re.Pattern[str]) -> list[PlanRule]:
        return [
            PlanRule(text=u.text, citation=cite(u), amount=amount, applies_to=applies_to)
            for u in units
            for amount, applies_to in _amounts(u, topic)
        ]

    prior_auth = [
        PlanRule(text=u.text, citation=cite(u), services=s) for u in units if (s := _pa_services(u)) is not None
    ]
    exclusions = [PlanRule(text=u.text, citation=cite(u), services=s) for u in units if (s := _excluded(u)) is not None]
    necessity = next((u for u in units if _MN.search(u.text) and _DEFINES.search(u.text)), None)
    filing = next((u for u in units if _TIMELY_FILING.search(u.text) and _PERIOD.search(u.text)), None)
    appeal_units = [u for u in units if _APPEAL.search(u.text)]
    appeal_rules = [PlanRule(text=u.text, citation=cite(u), **_appeal_period(u)) for u in appeal_units]
    return PlanRules(
        plan_name=_plan_name(doc),
        prior_authorization=prior_auth,
        medical_necessity=PlanRule(text=necessity.text, citation=cite(necessity)) if necessity else None,
        exclusions=exclusions,
        appeals=_appeals(appeal_units, appeal_rules),
        timely_filing=PlanRule(text=filing.text, citation=cite(filing), **_period(filing.text)) if filing else None,
        deductibles=costs(_DEDUCTIBLE),
        out_of_pocket_limits=costs(_OUT_OF_POCKET),
    )


def _units(doc: Doc) -> Iterator[_Unit]:
    """Sentences of prose paragraphs, bullets and table rows, each with its section heading."""
    section: str | None = None
    lead: str | None = None
    paragraph: list[Span] = []

    def flush() -> Iterator[_Unit]:
        nonlocal lead
        if paragraph:
            span = Span(paragraph[0].start, paragraph[-1].end)
            text = " ".join(doc.text[span.start : span.end].split())
            # A paragraph that announces a list ("... the following services:") introduces the bullets after it.
            lead = text if text.endswith(":") or re.search(r"\bfollowing\b", text, re.I) else None
            yield from _sentences(doc, span, section)
            paragraph.clear()

    for line in doc.lines():
        raw = doc.text[line.start : line.end]
        heading, body_start = _heading(raw)
        if heading is not None:
            yield from flush()
            section, lead = heading, None
            if body_start is None:
                continue
            line = Span(line.start + body_start, line.end)
            raw = doc.text[line.start : line.end]
        if not raw.strip():
            yield from flush()
            continue
        if raw.count("|") >= 2:
            yield from flush()
            cells = [c.strip() for c in raw.strip().strip("|").split("|")]
            if any(re.search(r"[A-Za-z]", c) for c in cells):
                yield _Unit(line, " | ".join(cells), section, False, None)
            continue
        bullet = _BULLET.match(raw)
        if bullet:
            yield from flush()
            text = " ".join(raw[bullet.end() :].split())
            yield _Unit(Span(line.start + bullet.end(), line.end), text, section, True, lead)
            continue
        paragraph.append(line)
    yield from flush()


def _sentences(doc: Doc, span: Span, section: str | None) -> Iterator[_Unit]:
    text = doc.text[span.start : span.end]
    pos = 0
    for m in [*_SENTENCE.finditer(text), None]:
        end = m.start() if m else len(text)
        piece = text[pos:end]
        if piece.strip():
            start = span.start + pos + (len(piece) - len(piece.lstrip()))
            yield _Unit(Span(start, span.start + end), " ".join(piece.split()), section, False, None)
        pos = m.end() if m else len(text)


def _heading(raw: str) -> tuple[str | None, int | None]:
    """(heading title, where the body starts on the same line or None) for a heading line."""
    stripped = raw.strip()
    m = _NUMBERED_TERM.match(raw)
    if m:
        return m.group("t").strip(), m.end()
    if not stripped or len(stripped) > 100 or "|" in stripped or (_BULLET.match(raw) and not _NUMBERED.match(raw)):
        return None, None
    m = _MARKDOWN.match(raw)
    if m:
        return m.group("t").strip(), None
    m = _NUMBERED.match(raw)
    if m and not stripped.endswith((".", ",", ";")) and _title_like(m.group("t")):
        return m.group("t").strip(), None
    letters = [c for c in stripped if c.isalpha()]
    if len(letters) >= 4 and all(c.isupper() for c in letters) and len(stripped) <= 80:
        return stripped.rstrip(":"), None
    return None, None


def _title_like(text: str) -> bool:
    words = [w for w in re.findall(r"[A-Za-z][\w'-]*", text) if len(w) > 3]
    return bool(words) and sum(w[0].isupper() for w in words) * 2 >= len(words)


def _pa_services(unit: _Unit) -> list[str] | None:
    """The services a prior-authorization rule names (empty when it names none), or None for other units."""
    if unit.bullet:
        if unit.lead and _PA.search(unit.lead) and not _PA_NOT_NEEDED.search(unit.lead):
            return [_service(unit.text)]
        return None
    if not _PA.search(unit.text) or _PA_NOT_NEEDED.search(unit.text):
        return None
    if " | " in unit.text:
        return [unit.text.split(" | ")[0]]
    m = _PA_SUBJECT.search(unit.text) or _PA_OBJECT.search(unit.text)
    return [_service(m.group("s"))] if m else []


def _excluded(unit: _Unit) -> list[str] | None:
    """The services an exclusion names, or None when the unit is not an exclusion."""
    if unit.bullet:
        in_list = (unit.section and _EXCLUSION_HEADING.search(unit.section)) or (
            unit.lead and _EXCLUSION_LEAD.search(unit.lead)
        )
        return [_service(unit.text)] if in_list else None
    m = _EXCLUDED_SUBJECT.search(unit.text)
    return [_service(m.group("s"))] if m and not _PA.search(unit.text) else None


def _service(text: str) -> str:
    return text.strip(" .;:,").removeprefix("and ").removeprefix("or ")


def _appeal_period(unit: _Unit) -> dict[str, int]:
    """The time the member has to ask (how long the plan takes to decide is not a deadline)."""
    if not _REQUEST.search(unit.text) or _RESPONSE_TIME.search(unit.text):
        return {}
    return _period(unit.text)


def _appeals(units: Sequence[_Unit], rules: list[PlanRule]) -> AppealRights:
    levels = 0
    internal_days: int | None = None
    external_days: int | None = None
    external_months: int | None = None
    for unit, rule in zip(units, rules, strict=True):
        external = bool(_EXTERNAL.search(unit.text))
        for m in _ORDINAL_LEVEL.finditer(unit.text):
            levels = max(levels, int(m.group("n")) if m.group("n") else _LEVELS[m.group(1).lower()])
        for m in _LEVEL_COUNT.finditer(unit.text):
            n = m.group("n").lower()
            levels = max(levels, int(n) if n.isdigit() else _NUMBER_WORDS[n])
        if external:
            external_days = external_days or rule.days
            external_months = external_months or rule.months
        elif internal_days is None:
            internal_days = rule.days
    return AppealRights(
        internal_levels=levels or None,
        internal_appeal_days=internal_days,
        external_review=any(_EXTERNAL.search(u.text) for u in units),
        external_review_days=external_days,
        external_review_months=external_months,
        expedited_available=any(_EXPEDITED.search(u.text) for u in units),
        rules=rules,
    )


def _period(text: str) -> dict[str, int]:
    """The first time limit in a sentence, as days or months (a year counts as 12 months)."""
    m = _PERIOD.search(text)
    if m is None:
        return {}
    raw = m.group("n").lower()
    n = int(raw) if raw.isdigit() else _NUMBER_WORDS[raw]
    unit = m.group("unit").lower()
    if unit.startswith("day"):
        return {"days": n}
    return {"months": n * 12 if unit.startswith("year") else n}


def _amounts(unit: _Unit, topic: re.Pattern[str]) -> Iterator[tuple[Decimal, str | None]]:
    """Each dollar amount of a unit about `topic`, with who and which network it applies to."""
    if not topic.search(unit.text):
        return
    for m in _MONEY.finditer(unit.text):
        after = unit.text[m.end() : m.end() + 60]
        tier = _TIER.match(after)
        clause = after.split(";", 1)[0]
        network = _NETWORK.search(clause)
        parts = [tier.group("t").lower() if tier else None, network.group(1).lower() if network else None]
        value = Decimal(m.group(1).replace(",", "") + (m.group(2) or ""))
        yield value, " ".join(p for p in parts if p) or None


def _plan_name(doc: Doc) -> str | None:
    lines = [doc.text[s.start : s.end] for s in doc.lines() if doc.text[s.start : s.end].strip()][:5]
    for line in lines:
        m = _PLAN_NAME.search(line)
        if m:
            return m.group("n").strip()
    return None


# Words too general to tie a denied service to a plan rule.
_GENERAL_WORDS = frozenset([
    "services", "service", "care", "treatment", "treatments", "visit", "visits", "with", "from", "that", "this",
    "your", "other", "except", "including", "plan", "program", "programs", "items", "item", "over", "after",
    "first", "year", "years", "members", "member", "older", "than", "under", "each",
])  # fmt: skip
_PLAN_SIGNAL_WEIGHT = {Route.EXCLUSION: 1.5, Route.PRIOR_AUTH_NEEDED: 1.0}


def plan_signals(facts: CaseFacts, rules: PlanRules | None) -> list[Signal]:
    """Plan rules that name the denied service: an exclusion, or a prior-authorization requirement.

    Weights stay below a denial code's: the plan confirms what the letter says rather than overruling it.
    """
    if rules is None or not facts.service_description:
        return []
    wanted = _words(facts.service_description)
    out: list[Signal] = []
    for route, candidates in (
        (Route.EXCLUSION, rules.exclusions),
        (Route.PRIOR_AUTH_NEEDED, rules.prior_authorization),
    ):
        for rule in candidates:
            service = next((s for s in rule.services if wanted & _words(s)), None)
            if service is not None:
                where = rule.citation
                cited = f"plan document {where.document}, page {where.page}" + (
                    f", {where.section}" if where.section else ""
                )
                label = (
                    "plan document excludes"
                    if route is Route.EXCLUSION
                    else "plan document requires prior authorization"
                )
                out.append(Signal(route=route, name=f"{label}: {service} ({cited})", weight=_PLAN_SIGNAL_WEIGHT[route]))
                break
    return out


def plan_gap(route: Route, rules: PlanRules) -> bool:
    """Whether the plan documents leave the route's question open (more plan pages would help)."""
    needed = {
        Route.EXCLUSION: bool(rules.exclusions),
        Route.PRIOR_AUTH_NEEDED: bool(rules.prior_authorization),
        Route.MEDICAL_NECESSITY_APPEAL: rules.medical_necessity is not None,
        Route.BENEFITS_VERIFICATION: bool(rules.deductibles or rules.out_of_pocket_limits),
        Route.ESCALATION: rules.appeals.external_review,
    }
    return not needed.get(route, True)


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z]{4,}", text.lower()) if w not in _GENERAL_WORDS}
