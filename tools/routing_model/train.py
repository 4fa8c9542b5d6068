"""Fit the router's route model on the development letters and export it to `route_model.json`.

    .venv/bin/python -m tools.routing_model.train           # fit, cross-validate, write the model
    .venv/bin/python -m tools.routing_model.train --check   # exit 1 when the committed model is not this fit

Training letters: `data/samples` and `data/corpus` without its validation fold (`validation.txt`),
which is never read here. Each letter goes through the router's own extraction and
`route_features`, so the model weighs exactly what the service computes. The model is two
logistic regressions (scikit-learn, a development dependency only): escalation or not from the
letter's kind, then the reason among the other six routes (`route_model.py`). Their regularisation
strengths are chosen by stratified 5-fold cross-validation of each (for the reason, the best that
still routes every sample right: the samples are the regression test); the same folds then
cross-validate the two together, and that accuracy is exported with the weights. Re-run it
whenever extraction or the features change: `tests/unit/router/test_route_model.py` fails until then.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]
from sklearn.model_selection import StratifiedKFold, cross_val_score  # type: ignore[import-untyped]

from denialops_cli.evaluation import load_labels, load_letters, load_validation_fold
from denialops_router.domain import extract_case_facts
from denialops_router.domain.route_features import feature_names, kind_feature_names, route_features
from denialops_router.domain.route_model import MODEL_PATH
from denialops_router.domain.text import make_doc
from denialops_shared.contracts.artifacts import Route

ROOT = Path(__file__).resolve().parents[2]
REGRESSION = ROOT / "data" / "samples"
FOLDERS = (REGRESSION, ROOT / "data" / "corpus")
# Candidate inverse regularisation strengths.
C_GRID = (0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0)
FOLDS = 5
SEED = 0
DIGITS = 4
ESCALATION = Route.ESCALATION.value


@dataclass(frozen=True)
class TrainingSet:
    features: list[dict[str, float]]
    routes: list[str]
    sources: dict[str, int]
    # Rows of the regression set (data/samples), which the fit must route right.
    regression: list[bool]


def training_set(folders: Sequence[Path] = FOLDERS) -> TrainingSet:
    features: list[dict[str, float]] = []
    routes: list[str] = []
    sources: dict[str, int] = {}
    regression: list[bool] = []
    for folder in folders:
        labels = load_labels(folder)
        held_out = load_validation_fold(folder)
        letters = [x for x in load_letters(folder, text_only=True) if x.file in labels and x.file not in held_out]
        for letter in letters:
            facts = extract_case_facts(letter.pages)
            features.append({f.name: f.value for f in route_features(facts, make_doc(letter.pages))})
            routes.append(labels[letter.file]["route"])
            regression.append(folder == REGRESSION)
        name = str(folder.relative_to(ROOT)) + (" (development fold)" if held_out else "")
        sources[name] = len(letters)
    return TrainingSet(features, routes, sources, regression)


def _matrix(features: Sequence[dict[str, float]], names: Sequence[str]) -> list[list[float]]:
    return [[row.get(name, 0.0) for name in names] for row in features]


def _classifier(c: float) -> LogisticRegression:
    return LogisticRegression(C=c, max_iter=10000, tol=1e-8)


@dataclass
class _Stages:
    """Both models fitted on some letters; `predict` routes others the way `RouteModel.decide` does."""

    escalation: LogisticRegression
    reason: LogisticRegression

    @classmethod
    def fit(
        cls, features: Sequence[dict[str, float]], routes: Sequence[str], c_kind: float, c_reason: float
    ) -> _Stages:
        escalated = [r == ESCALATION for r in routes]
        others = [i for i, r in enumerate(routes) if r != ESCALATION]
        return cls(
            _classifier(c_kind).fit(_matrix(features, kind_feature_names()), escalated),
            _classifier(c_reason).fit(
                _matrix([features[i] for i in others], feature_names()), [routes[i] for i in others]
            ),
        )

    def predict(self, features: Sequence[dict[str, float]]) -> list[str]:
        escalated = self.escalation.predict_proba(_matrix(features, kind_feature_names()))[:, 1] >= 0.5
        reasons = self.reason.predict(_matrix(features, feature_names()))
        return [ESCALATION if e else str(r) for e, r in zip(escalated, reasons, strict=True)]


def _cv_accuracy(data: TrainingSet, c_kind: float, c_reason: float) -> float:
    folds = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=SEED)
    hits = 0
    for train, test in folds.split(data.features, data.routes):
        stages = _Stages.fit([data.features[i] for i in train], [data.routes[i] for i in train], c_kind, c_reason)
        predicted = stages.predict([data.features[i] for i in test])
        hits += sum(p == data.routes[i] for p, i in zip(predicted, test, strict=True))
    return hits / len(data.routes)


def _ranked_c(rows: list[list[float]], labels: Sequence[object]) -> list[float]:
    """Every C, the best cross-validated accuracy first; ties go to the stronger regularisation (the simpler model)."""
    folds = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=SEED)
    by_c = {c: float(cross_val_score(_classifier(c), rows, labels, cv=folds).mean()) for c in C_GRID}
    return sorted(C_GRID, key=lambda c: (-round(by_c[c], 6), c))


def _meets_regression(data: TrainingSet, c_kind: float, c_reason: float) -> bool:
    """Whether the fit routes every regression letter (data/samples) as labelled."""
    rows = [i for i, r in enumerate(data.regression) if r]
    predicted = _Stages.fit(data.features, data.routes, c_kind, c_reason).predict([data.features[i] for i in rows])
    return predicted == [data.routes[i] for i in rows]


def fit(data: TrainingSet | None = None) -> dict[str, Any]:
    """The model as exported: both stages' weights and the cross-validation that chose their C."""
    data = data or training_set()
    escalated = [r == ESCALATION for r in data.routes]
    others = [i for i, r in enumerate(data.routes) if r != ESCALATION]
    c_kind = _ranked_c(_matrix(data.features, kind_feature_names()), escalated)[0]
    ranked = _ranked_c(_matrix([data.features[i] for i in others], feature_names()), [data.routes[i] for i in others])
    # The samples are the regression test (100 % required): the best C that keeps them all.
    c_reason = next((c for c in ranked if _meets_regression(data, c_kind, c)), ranked[0])
    stages = _Stages.fit(data.features, data.routes, c_kind, c_reason)
    classes = [str(c) for c in stages.reason.classes_]
    assert set(classes) | {ESCALATION} == {r.value for r in Route}, "every route needs training letters"
    kind, reason = stages.escalation, stages.reason
    return {
        "about": "Two logistic regressions over route_features (kind, then reason); tools/routing_model/train.py.",
        "trained_on": data.sources,
        "cv": {
            "folds": FOLDS,
            "seed": SEED,
            "C_escalation": c_kind,
            "C_reason": c_reason,
            "accuracy": round(_cv_accuracy(data, c_kind, c_reason), DIGITS),
        },
        "escalation": {
            "intercept": round(float(kind.intercept_[0]), DIGITS),
            "weights": {n: round(float(w), DIGITS) for n, w in zip(kind_feature_names(), kind.coef_[0], strict=True)},
        },
        "reason": {
            "intercepts": {r: round(float(b), DIGITS) for r, b in zip(classes, reason.intercept_, strict=True)},
            "weights": {
                name: {r: round(float(reason.coef_[i][j]), DIGITS) for i, r in enumerate(classes)}
                for j, name in enumerate(feature_names())
            },
        },
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare with the committed model instead of writing")
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    args = parser.parse_args(argv)
    model = fit()
    text = json.dumps(model, indent=1) + "\n"
    cv = model["cv"]
    letters = sum(model["trained_on"].values())
    print(
        f"{letters} letters, C={cv['C_escalation']} (kind) / {cv['C_reason']} (reason), "
        f"{cv['folds']}-fold CV accuracy {cv['accuracy']:.1%}"
    )
    if args.check:
        same = args.out.exists() and json.loads(args.out.read_text(encoding="utf-8")) == model
        print("the committed model is this fit" if same else f"{args.out} differs: re-run without --check")
        return 0 if same else 1
    args.out.write_text(text, encoding="utf-8")
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
