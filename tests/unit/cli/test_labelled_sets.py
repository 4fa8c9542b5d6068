"""Every labelled set under data/ is well formed: the evaluation would otherwise score it wrongly in silence."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from denialops_cli.evaluation import LABEL_KEYS, load_letters, load_validation_fold
from denialops_shared.contracts.artifacts import Route

DATA = Path(__file__).resolve().parents[3] / "data"
SETS = sorted(p.parent for p in DATA.glob("*/labels.jsonl"))
DATE_FIELDS = ("date_of_service", "date_of_denial", "appeal_deadline")


def test_the_four_labelled_sets_are_there() -> None:
    assert {s.name for s in SETS} >= {"samples", "corpus", "authored", "authored-b"}


@pytest.mark.parametrize("root", SETS, ids=[s.name for s in SETS])
def test_each_letter_has_one_well_formed_label(root: Path) -> None:
    rows = [json.loads(line) for line in (root / "labels.jsonl").read_text("utf-8").splitlines() if line.strip()]
    files = [row["file"] for row in rows]
    assert len(files) == len(set(files)), "a letter labelled twice"
    assert sorted(files) == sorted(letter.file for letter in load_letters(root, text_only=True))
    for row in rows:
        assert set(row) == set(LABEL_KEYS), row["file"]
        Route(row["route"])
        for name in DATE_FIELDS:
            if row[name] is not None:
                dt.date.fromisoformat(row[name])
    assert load_validation_fold(root) <= set(files), "validation.txt names a letter that is not labelled"
