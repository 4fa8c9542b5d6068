"""Route decision: the letter's kind and its reason, weighed by the fitted route model.

`route_features` reads the evidence (denial codes, wording, the kind of letter), `route_model`
weighs it with weights fitted on the development letters, and the decision keeps every signal with
its weight (its contribution to the route's score), the alternatives and a reasoning a person can
read. In verified mode a plan document that excludes the service, or requires prior authorization
for it, counts like the letter saying so (the weights of that wording: there are no verified-mode
letters to fit on).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from denialops_router.domain.plan_rules import plan_gap, plan_signals
from denialops_router.domain.route_features import Feature, phrase_feature, route_features
from denialops_router.domain.route_model import RouteModel, route_model
from denialops_router.domain.text import make_doc
from denialops_shared.contracts.artifacts import (
    CaseFacts,
    PlanRules,
    Route,
    RouteAlternative,
    RouteDecision,
    Signal,
)

_NEEDS_PLAN_DOCUMENTS = {Route.EXCLUSION, Route.BENEFITS_VERIFICATION, Route.MEDICAL_NECESSITY_APPEAL}
# The letter's wording whose weights a plan document's rule borrows.
_PLAN_AS_WORDING = {
    Route.EXCLUSION: phrase_feature("plan exclusion"),
    Route.PRIOR_AUTH_NEEDED: phrase_feature("prior authorization wording"),
}
_MIN_ALTERNATIVE = 0.01
_LABELS = {
    Route.PRIOR_AUTH_NEEDED: "prior authorization is missing or does not cover the service",
    Route.CLAIM_CORRECTION_RESUBMIT: "the claim has a coding or data error to correct and resubmit",
    Route.MEDICAL_NECESSITY_APPEAL: "the payer judged the service not medically necessary",
    Route.EXCLUSION: "the service is excluded from the plan's benefits",
    Route.ADMIN_DENIAL: "an administrative reason (filing limit, duplicate, other payer first)",
    Route.BENEFITS_VERIFICATION: "eligibility or benefit limits must be verified",
    Route.ESCALATION: "this is a final internal appeal decision upholding the denial",
}


def decide_route(facts: CaseFacts, pages: Sequence[str], plan_rules: PlanRules | None = None) -> RouteDecision:
    """Choose one of the seven routes.

    With the member's plan rules (verified mode), a denied service the plan excludes or puts under prior
    authorization adds a signal, and `verified_mode_would_help` says whether the plan left the route's
    question open. A bug raises (the router's stage reports it as failed) rather than guessing a route.
    """
    model = route_model()
    features = route_features(facts, make_doc(pages))
    plan = [(s, _PLAN_AS_WORDING[s.route]) for s in plan_signals(facts, plan_rules)]
    values: dict[str, float] = {}
    for name, value in [(f.name, f.value) for f in features] + [(alias, 1.0) for _, alias in plan]:
        values[name] = values.get(name, 0.0) + value
    route, probabilities = model.decide(values)
    signals = _signals(model, route, features) + [
        Signal(
            route=s.route, name=s.name, weight=round(model.contribution(alias, 1.0, s.route), 2), evidence=s.evidence
        )
        for s, alias in plan
    ]
    own = sorted((s for s in signals if s.route == route), key=lambda s: -s.weight)
    confidence = round(probabilities[route], 2)
    return RouteDecision(
        route=route,
        confidence=confidence,
        reasoning=_reasoning(route, own, probabilities),
        signals=own + [s for s in signals if s.route != route],
        alternatives=_alternatives(route, probabilities),
        urgency=facts.urgency,
        verified_mode_would_help=(
            (route in _NEEDS_PLAN_DOCUMENTS or confidence < 0.6) if plan_rules is None else plan_gap(route, plan_rules)
        ),
    )


def _signals(model: RouteModel, route: Route, features: Sequence[Feature]) -> list[Signal]:
    """Each feature as a signal for the route it pushes hardest (the chosen one when it pushes that at all)."""
    out = []
    for feature in features:
        pushes = {r: model.contribution(feature.name, feature.value, r) for r in Route}
        towards = route if pushes[route] > 0 else max(pushes, key=lambda r: pushes[r])
        if pushes[towards] <= 0:
            continue  # evidence the model found to speak for no route here
        out.append(
            Signal(route=towards, name=feature.label, weight=round(pushes[towards], 2), evidence=list(feature.evidence))
        )
    return out


def _alternatives(route: Route, probabilities: Mapping[Route, float]) -> list[RouteAlternative]:
    ranked = sorted((r for r in probabilities if r != route), key=lambda r: -probabilities[r])
    return [
        RouteAlternative(route=r, confidence=round(probabilities[r], 2))
        for r in ranked[:3]
        if probabilities[r] >= _MIN_ALTERNATIVE
    ]


def _reasoning(route: Route, own: Sequence[Signal], probabilities: Mapping[Route, float]) -> str:
    if not own:
        return (
            f"Routed to {route.value} ({probabilities[route]:.0%}), but no clear denial reason was found in the "
            "letter; review it manually."
        )
    evidence = "; ".join(f"{s.name} (+{s.weight:g})" for s in own[:4])
    text = f"Routed to {route.value} ({probabilities[route]:.0%}): {_LABELS[route]}. Evidence: {evidence}."
    runner_up = max((r for r in probabilities if r != route), key=lambda r: probabilities[r])
    if probabilities[runner_up] >= 0.15:
        text += f" Also possible: {runner_up.value} ({probabilities[runner_up]:.0%})."
    return text
