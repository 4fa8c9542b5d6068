"""Metric names used by the dashboards and alert rules, and names a /metrics exposition exports.

Shared by the unit tests (against the in-process registry) and tests/e2e/test_metrics_coverage.py
(against every running service's /metrics).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import yaml
from prometheus_client.parser import text_string_to_metric_families

from tests.infra import ROOT

DASHBOARDS = sorted((ROOT / "deploy" / "grafana" / "dashboards").glob("*.json"))
ALERT_RULES = ROOT / "deploy" / "prometheus" / "alerts.yml"
# Only our own metrics are checked: `up` and the like come from Prometheus itself.
OUR_METRIC = re.compile(r"\bdenialops_[a-zA-Z0-9_]+\b")
# Series a histogram or counter family adds to its name.
SUFFIXES = {"counter": ("_total", "_created"), "histogram": ("_bucket", "_count", "_sum", "_created")}


def _expressions(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "expr" and isinstance(value, str):
                yield value
            else:
                yield from _expressions(value)
    elif isinstance(node, list):
        for item in node:
            yield from _expressions(item)


def names_in(expressions: Iterable[str]) -> set[str]:
    return {name for expr in expressions for name in OUR_METRIC.findall(expr)}


def dashboard_names(paths: Iterable[Path] = DASHBOARDS) -> dict[str, set[str]]:
    """Dashboard file -> metric names its panels query."""
    return {path.name: names_in(_expressions(json.loads(path.read_text(encoding="utf-8")))) for path in paths}


def alert_names(path: Path = ALERT_RULES) -> set[str]:
    rules = yaml.safe_load(path.read_text(encoding="utf-8"))
    return names_in(rule["expr"] for group in rules["groups"] for rule in group["rules"])


def used_names() -> dict[str, set[str]]:
    """Where each name is used (file -> names), dashboards and alert rules together."""
    return {**dashboard_names(), ALERT_RULES.name: alert_names()}


def exported_names(exposition: str) -> set[str]:
    """Every series name an exposition offers, including families declared without samples yet
    (a labelled counter nobody incremented still has its HELP and TYPE lines)."""
    names: set[str] = set()
    for family in text_string_to_metric_families(exposition):
        names.add(family.name)
        names.update(family.name + suffix for suffix in SUFFIXES.get(family.type, ()))
        names.update(sample.name for sample in family.samples)
    return names


def unexported(used: dict[str, set[str]], exported: set[str]) -> dict[str, set[str]]:
    """File -> the names it uses that nothing exports."""
    return {source: missing for source, names in used.items() if (missing := names - exported)}
