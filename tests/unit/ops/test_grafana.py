"""deploy/grafana: provisioned datasource and dashboards with fixed UIDs that query that datasource."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from tests.infra import ROOT
from tests.unit.ops.metric_names import DASHBOARDS

GRAFANA_DIR = ROOT / "deploy" / "grafana"
EXPECTED_UIDS = {
    "overview.json": "denialops-overview",
    "pipeline.json": "denialops-pipeline",
    "llm.json": "denialops-llm",
    "kafka-lag.json": "denialops-kafka-lag",
    "casework.json": "denialops-casework",
}


def load(name: str) -> dict[str, Any]:
    board: dict[str, Any] = json.loads((GRAFANA_DIR / "dashboards" / name).read_text(encoding="utf-8"))
    return board


def datasource_uid() -> str:
    config = yaml.safe_load((GRAFANA_DIR / "provisioning" / "datasources" / "prometheus.yml").read_text())
    (source,) = config["datasources"]
    return str(source["uid"])


def test_the_dashboards_have_their_fixed_uids() -> None:
    assert {path.name: load(path.name)["uid"] for path in DASHBOARDS} == EXPECTED_UIDS


@pytest.mark.parametrize("name", sorted(EXPECTED_UIDS))
def test_every_panel_queries_the_provisioned_datasource(name: str) -> None:
    board = load(name)
    panels = board["panels"]
    assert panels, name
    assert len({p["id"] for p in panels}) == len(panels), "panel ids are unique"
    for panel in panels:
        assert panel["datasource"]["uid"] == datasource_uid()
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            assert target["expr"].strip(), panel["title"]
            assert target["datasource"]["uid"] == datasource_uid()
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24


def test_panels_do_not_overlap() -> None:
    for path in DASHBOARDS:
        cells: set[tuple[int, int]] = set()
        for panel in load(path.name)["panels"]:
            x, y, w, h = (panel["gridPos"][k] for k in ("x", "y", "w", "h"))
            area = {(col, row) for col in range(x, x + w) for row in range(y, y + h)}
            assert not cells & area, f"{path.name}: {panel['title']} overlaps another panel"
            cells |= area
