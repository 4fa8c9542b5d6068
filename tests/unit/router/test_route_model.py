"""The exported route model is what the training script fits from the data, and the router applies it faithfully."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from typing import Any

import pytest

from denialops_cli.evaluation import load_labels, load_validation_fold
from denialops_router.domain import decide_route, extract_case_facts
from denialops_router.domain.route_features import feature_names, kind_feature_names
from denialops_router.domain.route_model import MODEL_PATH, RouteModel, route_model
from denialops_shared.contracts.artifacts import Route, RouteDecision
from tests.infra import ROOT
from tools.routing_model import train

TOLERANCE = 2e-3


@pytest.fixture(scope="module")
def data() -> train.TrainingSet:
    return train.training_set()


@pytest.fixture(scope="module")
def fitted(data: train.TrainingSet) -> dict[str, Any]:
    return train.fit(data)


def _flatten(model: dict[str, Any]) -> dict[str, float]:
    out = {f"escalation/{f}": w for f, w in model["escalation"]["weights"].items()}
    out["escalation/intercept"] = model["escalation"]["intercept"]
    out |= {f"reason/{f}/{r}": w for f, ws in model["reason"]["weights"].items() for r, w in ws.items()}
    return out | {f"reason/intercept/{r}": b for r, b in model["reason"]["intercepts"].items()}


def test_the_exported_model_is_the_training_scripts_fit(fitted: dict[str, Any]) -> None:
    exported = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    hint = "re-fit: .venv/bin/python -m tools.routing_model.train"
    assert exported["trained_on"] == fitted["trained_on"], hint
    assert exported["cv"] == fitted["cv"], hint
    want, got = _flatten(fitted), _flatten(exported)
    assert want.keys() == got.keys(), hint
    drift = {k: (got[k], want[k]) for k in want if abs(got[k] - want[k]) > TOLERANCE}
    assert not drift, f"{hint}: {drift}"


def test_training_never_reads_the_validation_fold(data: train.TrainingSet) -> None:
    held_out = load_validation_fold(ROOT / "data" / "corpus")
    labelled = load_labels(ROOT / "data" / "corpus")
    assert len(held_out) == 28
    assert data.sources == {"data/samples": 21, "data/corpus (development fold)": len(labelled) - len(held_out)}


def test_the_readme_states_the_cross_validated_accuracy(fitted: dict[str, Any]) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    stated = re.search(r"cross-validated accuracy \*\*([\d.]+) %\*\*", readme)
    assert stated is not None
    assert float(stated.group(1)) == round(fitted["cv"]["accuracy"] * 100, 1)
    assert route_model().cv_accuracy == fitted["cv"]["accuracy"]


def test_pure_python_scores_agree_with_scikit_learn(data: train.TrainingSet, fitted: dict[str, Any]) -> None:
    cv = fitted["cv"]
    stages = train._Stages.fit(data.features, data.routes, cv["C_escalation"], cv["C_reason"])
    model = RouteModel.from_json(fitted)
    kind = stages.escalation.predict_proba(train._matrix(data.features, kind_feature_names()))[:, 1]
    reason = stages.reason.predict_proba(train._matrix(data.features, feature_names()))
    classes = [Route(c) for c in stages.reason.classes_]
    for i, features in enumerate(data.features):
        assert model.escalation_probability(features) == pytest.approx(kind[i], abs=0.01)
        ours = model.reason_probabilities(features)
        for j, route in enumerate(classes):
            assert ours[route] == pytest.approx(reason[i][j], abs=0.01)
    assert [model.decide(f)[0].value for f in data.features] == stages.predict(data.features)


def test_route_json_keeps_weighted_signals_alternatives_and_reasoning() -> None:
    text = (
        "Claim 123 denied. Reason code CO-197: no prior authorization was obtained for the MRI. "
        "The physician reviewer also noted the records do not show medical necessity."
    )
    decision = RouteDecision.model_validate_json(decide_route(extract_case_facts([text]), [text]).model_dump_json())
    assert decision.route is Route.PRIOR_AUTH_NEEDED
    own = [s for s in decision.signals if s.route is decision.route]
    assert own
    assert all(s.weight > 0 and s.evidence for s in own)
    assert own == sorted(own, key=lambda s: -s.weight)
    assert any("CO-197" in s.name for s in own)
    assert decision.alternatives
    assert decision.alternatives[0].route is Route.MEDICAL_NECESSITY_APPEAL
    assert sum(a.confidence for a in decision.alternatives) + decision.confidence <= 1.01
    assert decision.reasoning.startswith("Routed to prior_auth_needed (")
    assert own[0].name in decision.reasoning


def test_the_router_applies_the_model_without_scikit_learn() -> None:
    """scikit-learn (and numpy) stay out of the service: the RSS budget is per process."""
    code = (
        "import sys; from denialops_router.domain import decide_route, extract_case_facts; "
        "t = 'CO-50: not medically necessary.'; decide_route(extract_case_facts([t]), [t]); "
        "print(sorted(m for m in ('sklearn', 'numpy', 'scipy') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert done.stdout.strip() == "[]"
