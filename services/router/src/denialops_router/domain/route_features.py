"""The evidence routing weighs, as named numbers: what the codes, the wording and the letter's kind say.

Each feature is a small count or a flag with its evidence spans. The route model (`route_model.py`,
fitted offline on the development letters) gives every feature one weight per route; nothing here
says how much a feature matters. Counts are capped at `CAP` so a phrase repeated on every page of a
statement weighs no more than one said twice.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from denialops_router.domain import letter_kind
from denialops_router.domain.carc_table import ROUTINE_CARCS, carc_info, rarc_info
from denialops_router.domain.patterns import folded, scan
from denialops_router.domain.phrases import COMES_FIRST, CONTRADICTIONS, NEGATIONS, PHRASES, SET_ASIDE
from denialops_router.domain.scope import find_scope
from denialops_router.domain.text import Doc, Span
from denialops_shared.contracts.artifacts import CaseFacts, Evidence, Route

CAP = 2.0
# A reason stated only conditionally ("if the authorization was obtained ...") counts half.
_CONDITIONAL = re.compile(r"\bif\b|\bwhether\b|\bunless\b")
_CODED_ROUTES = tuple(r for r in Route if r is not Route.ESCALATION)


@dataclass(frozen=True)
class Feature:
    name: str
    value: float
    evidence: tuple[Evidence, ...] = ()
    # What a person reads in route.json (the codes behind a code feature, for instance).
    detail: str = ""

    @property
    def label(self) -> str:
        return f"{self.name} ({self.detail})" if self.detail else self.name


def code_feature(route: Route) -> str:
    return f"denial code points to {route.value}"


def remark_feature(route: Route) -> str:
    return f"remark code points to {route.value}"


def negation_feature(route: Route) -> str:
    """The letter says the route's reason does not apply (in a sentence with its wording, or outright)."""
    return f"wording for {route.value} is negated"


def first_feature(route: Route) -> str:
    """The letter says the route's reason is the one to resolve first."""
    return f"wording for {route.value} comes first"


def phrase_feature(name: str) -> str:
    return f"wording: {name}"


# The letter's kind; each reads the document (`letter_kind`), the first from the facts as extracted.
KIND_FEATURES: dict[str, Callable[[CaseFacts, Doc], list[Span]]] = {
    "final internal appeal decision upholding the denial": lambda facts, doc: _final_upheld(facts, doc),
    "appeal decision offering another internal level": lambda _, doc: _both(
        letter_kind.appeal_decision(doc), letter_kind.more_levels(doc)
    ),
    "case forwarded to an independent review entity": lambda _, doc: _spans(
        letter_kind.forwarded_to_independent_review(doc)
    ),
    "appeal decision overturning the denial": lambda _, doc: _both(
        letter_kind.appeal_decision(doc), letter_kind.overturned(doc)
    ),
    "pre-service decision": lambda facts, doc: _spans(letter_kind.pre_service(doc)) if not facts.claim_number else [],
    "remittance or explanation of benefits": lambda _, doc: _spans(letter_kind.remittance(doc)),
}


def kind_feature_names() -> list[str]:
    """What the escalation model reads: the letter's kind, and whether it offers an outside review."""
    return [*KIND_FEATURES, phrase_feature("external review available")]


def feature_names() -> list[str]:
    """Every feature the reason model weighs, in a fixed order (the order of the fitted model's columns)."""
    names = [code_feature(r) for r in _CODED_ROUTES] + [remark_feature(r) for r in _CODED_ROUTES]
    names += [phrase_feature(p.name) for phrases in PHRASES.values() for p in phrases]
    names += [negation_feature(r) for r in PHRASES] + [first_feature(r) for r in PHRASES]
    return names + list(KIND_FEATURES)


def route_features(facts: CaseFacts, doc: Doc) -> list[Feature]:
    """The features present in this letter (value > 0), with their evidence."""
    found = _code_features(facts) + _phrase_features(doc)
    for name, read in KIND_FEATURES.items():
        spans = read(facts, doc)
        if spans:
            found.append(Feature(name, 1.0, tuple(doc.evidence(s.start, s.end) for s in spans)))
    return found


def _code_features(facts: CaseFacts) -> list[Feature]:
    spans = facts.evidence.get("denial_codes", [])
    by_feature: dict[str, list[tuple[str, Evidence | None]]] = {}
    for i, code in enumerate(facts.denial_codes):
        if code.kind == "carc" and code.reason in ROUTINE_CARCS:
            continue
        info = carc_info(code.reason) if code.kind == "carc" else rarc_info(code.code)
        if info is None or info[1] is None or info[1] is Route.ESCALATION:
            continue
        name = code_feature(info[1]) if code.kind == "carc" else remark_feature(info[1])
        by_feature.setdefault(name, []).append((code.code, spans[i] if i < len(spans) else None))
    return [
        Feature(
            name,
            min(CAP, len(codes)),
            tuple(e for _, e in codes if e is not None),
            ", ".join(dict.fromkeys(c for c, _ in codes)),
        )
        for name, codes in by_feature.items()
    ]


def _phrase_features(doc: Doc) -> list[Feature]:
    scope = find_scope(doc)
    text = doc.memo(_folded_lower)
    out: list[Feature] = []
    for route, phrases in PHRASES.items():
        negation = NEGATIONS.get(route)
        negated: list[Evidence] = []
        first: list[Evidence] = []
        said = _contradiction(doc, route)
        if said is not None:
            negated.append(doc.evidence(said.start, said.end))
        for phrase in phrases:
            if not any(t in text for t in phrase.triggers):
                continue
            evidence: list[Evidence] = []
            total = 0.0
            for m in scan(phrase.pattern, doc.lower):
                if not scope.allows(m.start()):
                    continue
                sentence = doc.sentence_text(m.start())
                # Once the letter has denied the route's premise outright, its wording for the route is
                # a code's description or the question the letter answers, not the reason.
                if (
                    said is not None
                    or (negation is not None and negation.search(sentence))
                    or SET_ASIDE.search(sentence)
                ):
                    negated.append(doc.evidence(m.start(), m.end()))
                    continue
                total += 0.5 if _CONDITIONAL.search(sentence) else 1.0
                evidence.append(doc.evidence(m.start(), m.end()))
                if COMES_FIRST.search(sentence):
                    first.append(evidence[-1])
                if total >= CAP:
                    break
            if evidence:
                out.append(Feature(phrase_feature(phrase.name), min(CAP, total), tuple(evidence)))
        if negated:
            out.append(Feature(negation_feature(route), 1.0, tuple(negated[:2])))
        if first:
            out.append(Feature(first_feature(route), 1.0, tuple(first[:2])))
    return out


def _contradiction(doc: Doc, route: Route) -> Span | None:
    """Where the letter denies the route's premise outright; a condition ("if you were enrolled") denies nothing."""
    pattern = CONTRADICTIONS.get(route)
    if pattern is None:
        return None
    for m in scan(pattern, doc.lower):
        if not _CONDITIONAL.search(doc.sentence_text(m.start())):
            return Span(m.start(), m.end())
    return None


def _folded_lower(doc: Doc) -> str:
    return folded(doc.lower)


def _final_upheld(facts: CaseFacts, doc: Doc) -> list[Span]:
    if not facts.is_final_appeal_decision:
        return []
    upheld, spans = letter_kind.upheld(doc)
    if not upheld:
        return []
    return spans or letter_kind.final_appeal_decision(doc)[1]


def _spans(span: Span | None) -> list[Span]:
    return [span] if span is not None else []


def _both(first: Span | None, second: Span | None) -> list[Span]:
    return [first, second] if first is not None and second is not None else []
