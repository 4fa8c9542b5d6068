"""The fitted route model, applied in pure Python: the letter's kind first, then its reason.

Two logistic regressions fitted offline on the development letters by `tools/routing_model/train.py`
(scikit-learn stays out of the service) and exported to `route_model.json` next to this module:

- `escalation`: binary, over the letter's kind (a final internal decision upholding the denial goes
  to external review whatever the reason, so the reason must not outvote the kind);
- `reason`: multinomial over the other six routes, over the codes, the wording and the kind.

A score is an intercept plus the weighted sum of the letter's features. P(escalation) is the
sigmoid of its score; the other routes share the rest by the softmax of theirs.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from denialops_shared.contracts.artifacts import Route

MODEL_PATH = Path(__file__).with_name("route_model.json")


@dataclass(frozen=True)
class RouteModel:
    escalation_intercept: float
    escalation_weights: Mapping[str, float]
    reason_intercepts: Mapping[Route, float]
    reason_weights: Mapping[str, Mapping[Route, float]]
    # Cross-validated accuracy of both together on the training letters, as the training script measured it.
    cv_accuracy: float

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RouteModel:
        escalation, reason = data["escalation"], data["reason"]
        return cls(
            escalation_intercept=float(escalation["intercept"]),
            escalation_weights={f: float(w) for f, w in escalation["weights"].items()},
            reason_intercepts={Route(r): float(b) for r, b in reason["intercepts"].items()},
            reason_weights={f: {Route(r): float(w) for r, w in ws.items()} for f, ws in reason["weights"].items()},
            cv_accuracy=float(data["cv"]["accuracy"]),
        )

    def contribution(self, feature: str, value: float, route: Route) -> float:
        """What `feature` at `value` adds to `route`'s score (0 for a feature that model does not use)."""
        if route is Route.ESCALATION:
            return self.escalation_weights.get(feature, 0.0) * value
        return self.reason_weights.get(feature, {}).get(route, 0.0) * value

    def escalation_probability(self, features: Mapping[str, float]) -> float:
        score = self.escalation_intercept + sum(self.contribution(f, v, Route.ESCALATION) for f, v in features.items())
        return 1 / (1 + math.exp(-score)) if score > -700 else 0.0

    def reason_probabilities(self, features: Mapping[str, float]) -> dict[Route, float]:
        scores = {
            route: bias + sum(self.contribution(f, v, route) for f, v in features.items())
            for route, bias in self.reason_intercepts.items()
        }
        top = max(scores.values())
        exp = {route: math.exp(s - top) for route, s in scores.items()}
        total = sum(exp.values())
        return {route: e / total for route, e in exp.items()}

    def decide(self, features: Mapping[str, float]) -> tuple[Route, dict[Route, float]]:
        """The route and every route's probability: escalation when its model says more likely than not."""
        escalation = self.escalation_probability(features)
        reasons = self.reason_probabilities(features)
        probabilities = {Route.ESCALATION: escalation} | {r: (1 - escalation) * p for r, p in reasons.items()}
        route = Route.ESCALATION if escalation >= 0.5 else max(reasons, key=lambda r: reasons[r])
        return route, probabilities


@functools.cache
def route_model() -> RouteModel:
    return RouteModel.from_json(json.loads(MODEL_PATH.read_text(encoding="utf-8")))
