"""Route decision: denial codes, the letter's wording and the kind of letter, weighed together."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from denialops_router.domain import letter_kind
from denialops_router.domain.carc_table import ROUTINE_CARCS, carc_info, rarc_info
from denialops_router.domain.phrases import NEGATIONS, PHRASES
from denialops_router.domain.plan_rules import plan_gap, plan_signals
from denialops_router.domain.scope import find_scope
from denialops_router.domain.text import Doc, make_doc
from denialops_shared.contracts.artifacts import (
    CaseFacts,
    Evidence,
    PlanRules,
    Route,
    RouteAlternative,
    RouteDecision,
    Signal,
)

CARC_WEIGHT = 4.0
RARC_WEIGHT = 1.5
FINAL_DECISION_WEIGHT = 10.0
CLOSE_CALL = 0.75
# Two denial reasons: the one that must be resolved first, or that settles the outcome, wins.
PRECEDENCE = (
    Route.EXCLUSION,
    Route.BENEFITS_VERIFICATION,
    Route.ADMIN_DENIAL,
    Route.PRIOR_AUTH_NEEDED,
    Route.MEDICAL_NECESSITY_APPEAL,
    Route.CLAIM_CORRECTION_RESUBMIT,
)
_NEEDS_PLAN_DOCUMENTS = {Route.EXCLUSION, Route.BENEFITS_VERIFICATION, Route.MEDICAL_NECESSITY_APPEAL}
_CONDITIONAL = re.compile(r"\bif\b|\bwhether\b|\bunless\b")
_LABELS = {
    Route.PRIOR_AUTH_NEEDED: "prior authorization is missing or does not cover the service",
    Route.CLAIM_CORRECTION_RESUBMIT: "the claim has a coding or data error to correct and resubmit",
    Route.MEDICAL_NECESSITY_APPEAL: "the payer judged the service not medically necessary",
    Route.EXCLUSION: "the service is excluded from the plan's benefits",
    Route.ADMIN_DENIAL: "an administrative reason (filing limit, duplicate, other payer first)",
    Route.BENEFITS_VERIFICATION: "eligibility or benefit limits must be verified",
    Route.ESCALATION: "this is a final internal appeal decision upholding the denial",
}


@dataclass
class _Tally:
    signals: list[Signal]

    def score(self, route: Route) -> float:
        return sum(s.weight for s in self.signals if s.route == route)


def decide_route(facts: CaseFacts, pages: Sequence[str], plan_rules: PlanRules | None = None) -> RouteDecision:
    """Choose one of the seven routes.

    With the member's plan rules (verified mode), a denied service the plan excludes or puts under prior
    authorization adds a signal, and `verified_mode_would_help` says whether the plan left the route's
    question open. A bug raises (the router's stage reports it as failed) rather than guessing a route.
    """
    return _decide(facts, make_doc(pages), plan_rules)


def _decide(facts: CaseFacts, doc: Doc, plan_rules: PlanRules | None) -> RouteDecision:
    tally = _Tally(_code_signals(facts) + _phrase_signals(doc) + plan_signals(facts, plan_rules))
    upheld, final_spans = letter_kind.upheld(doc)
    if facts.is_final_appeal_decision and upheld:
        tally.signals.append(
            Signal(
                route=Route.ESCALATION,
                name="final internal appeal decision upholding the denial",
                weight=FINAL_DECISION_WEIGHT,
                evidence=[doc.evidence(s.start, s.end) for s in final_spans],
            )
        )
    scores = {route: tally.score(route) for route in Route}
    route = _choose(scores, tally)
    total = sum(v for v in scores.values() if v > 0)
    confidence = 0.2 if total == 0 else min(0.97, max(0.3, scores[route] / total))
    alternatives = sorted(
        (
            RouteAlternative(route=r, confidence=round(min(1.0, v / total), 2))
            for r, v in scores.items()
            if r != route and v > 0 and total > 0
        ),
        key=lambda a: -a.confidence,
    )[:3]
    own = [s for s in tally.signals if s.route == route]
    return RouteDecision(
        route=route,
        confidence=round(confidence, 2),
        reasoning=_reasoning(route, own),
        signals=own + [s for s in tally.signals if s.route != route],
        alternatives=alternatives,
        urgency=facts.urgency,
        verified_mode_would_help=(
            (route in _NEEDS_PLAN_DOCUMENTS or confidence < 0.6) if plan_rules is None else plan_gap(route, plan_rules)
        ),
    )


def _choose(scores: dict[Route, float], tally: _Tally) -> Route:
    if scores[Route.ESCALATION] >= FINAL_DECISION_WEIGHT:
        return Route.ESCALATION
    coded = {s.route for s in tally.signals if s.name.startswith("denial code") and s.weight >= CARC_WEIGHT}
    if len(coded) >= 2:
        return next(r for r in PRECEDENCE if r in coded)
    candidates = {r: v for r, v in scores.items() if r != Route.ESCALATION}
    ranked = sorted(candidates, key=lambda r: (-candidates[r], PRECEDENCE.index(r)))
    best, runner_up = ranked[0], ranked[1]
    if candidates[best] <= 0:
        return Route.MEDICAL_NECESSITY_APPEAL
    # No codes, but two reasons argued almost equally strongly: the one to resolve first wins.
    if candidates[runner_up] >= CLOSE_CALL * candidates[best] and candidates[runner_up] >= CARC_WEIGHT - 1:
        return min(best, runner_up, key=PRECEDENCE.index)
    return best


def _code_signals(facts: CaseFacts) -> list[Signal]:
    spans = facts.evidence.get("denial_codes", [])
    out: list[Signal] = []
    for i, code in enumerate(facts.denial_codes):
        if code.kind == "carc" and code.reason in ROUTINE_CARCS:
            continue
        info = carc_info(code.reason) if code.kind == "carc" else rarc_info(code.code)
        if info is None or info[1] is None:
            continue
        out.append(
            Signal(
                route=info[1],
                name=f"denial code {code.code}: {info[0]}",
                weight=CARC_WEIGHT if code.kind == "carc" else RARC_WEIGHT,
                evidence=[spans[i]] if i < len(spans) else [],
            )
        )
    return out


def _phrase_signals(doc: Doc) -> list[Signal]:
    scope = find_scope(doc)
    out: list[Signal] = []
    for route, phrases in PHRASES.items():
        negation = NEGATIONS.get(route)
        for phrase in phrases:
            if not any(t in doc.lower for t in phrase.triggers):
                continue
            evidence: list[Evidence] = []
            total = 0.0
            for m in phrase.pattern.finditer(doc.lower):
                if not scope.allows(m.start()):
                    continue
                sentence = doc.sentence_text(m.start())
                if negation is not None and negation.search(sentence):
                    continue
                total += phrase.weight * (0.5 if _CONDITIONAL.search(sentence) else 1.0)
                evidence.append(doc.evidence(m.start(), m.end()))
                if len(evidence) == 2:
                    break
            if evidence:
                out.append(Signal(route=route, name=phrase.name, weight=round(total, 2), evidence=evidence))
    return out


def _reasoning(route: Route, signals: Sequence[Signal]) -> str:
    if not signals:
        return "No clear denial reason was found in the letter; review it manually."
    strongest = sorted(signals, key=lambda s: -s.weight)[:4]
    return f"Routed to {route.value}: {_LABELS[route]}. Evidence: " + "; ".join(s.name for s in strongest) + "."
