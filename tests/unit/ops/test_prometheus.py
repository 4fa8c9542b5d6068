"""deploy/prometheus: the config and the alert rules are valid for promtool, and the rules' unit tests pass."""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml

from tests.infra import ROOT
from tests.unit.ops.tools import promtool

PROMETHEUS_DIR = ROOT / "deploy" / "prometheus"
REQUIRED_ALERTS = {
    "DenialOpsServiceDown",
    "DenialOpsConsumerLagGrowing",
    "DenialOpsDeadLetters",
    "DenialOpsHighHttpErrorRate",
    "DenialOpsLlmCircuitOpen",
    "DenialOpsRunLatencyP99High",
}


def run_promtool(*args: str, cwd: Path = PROMETHEUS_DIR) -> subprocess.CompletedProcess[str]:
    return subprocess.run([promtool(), *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def test_promtool_checks_the_rules() -> None:
    result = run_promtool("check", "rules", "alerts.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_checks_the_config() -> None:
    result = run_promtool("check", "config", "prometheus.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_alert_rules_pass_their_unit_tests() -> None:
    result = run_promtool("test", "rules", "alerts.test.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_has_a_unit_test_and_the_required_ones_exist() -> None:
    rules = yaml.safe_load((PROMETHEUS_DIR / "alerts.yml").read_text(encoding="utf-8"))
    alerts = {rule["alert"] for group in rules["groups"] for rule in group["rules"]}
    assert alerts >= REQUIRED_ALERTS
    tests = yaml.safe_load((PROMETHEUS_DIR / "alerts.test.yml").read_text(encoding="utf-8"))
    tested = {case["alertname"] for test in tests["tests"] for case in test["alert_rule_test"] if case["exp_alerts"]}
    assert tested == alerts, "each alert needs a test case where it fires"


def test_promtool_rejects_a_broken_rule(tmp_path: Path) -> None:
    (tmp_path / "alerts.yml").write_text(
        "groups:\n  - name: x\n    rules:\n      - alert: Broken\n        expr: sum(rate(denialops_x_total[5m])\n",
        encoding="utf-8",
    )
    assert run_promtool("check", "rules", "alerts.yml", cwd=tmp_path).returncode != 0
