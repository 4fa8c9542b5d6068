"""The labelled samples meet the quality bars through the same evaluation the CLI runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from denialops_cli.evaluation import LABEL_KEYS, evaluate, format_report, loosely_equal, score

SAMPLES = Path(__file__).resolve().parents[3] / "data" / "samples"


@pytest.mark.skipif(not (SAMPLES / "labels.jsonl").exists(), reason="sample letters not present")
def test_samples_meet_quality_bars() -> None:
    report = evaluate(SAMPLES)
    summary = format_report(report)
    assert report.letters == 21
    assert report.routing_accuracy >= 0.95, summary
    for name, recall in report.field_recall.items():
        assert recall >= 0.95, f"{name}: {summary}"
    for name, precision in report.code_precision.items():
        assert precision >= 0.98, f"{name}: {summary}"
    assert all(list(row) == list(LABEL_KEYS) for row in report.predictions)
    assert {row["file"] for row in report.predictions} == {f"letters/{i:03d}.txt" for i in range(1, 22)}


def test_score_normalises_like_the_readme_says() -> None:
    gold = dict.fromkeys(LABEL_KEYS) | {
        "file": "letters/x.txt", "route": "exclusion", "payer_name": "Acme  Health", "appeal_phone": "8005550100",
        "icd10_codes": ["M75.111"], "cpt_codes": ["99213"], "hcpcs_codes": [], "denial_codes": ["CO-96"],
        "billed_amount": 10.0, "service_description": "Laser eye surgery",
    }  # fmt: skip
    pred = gold | {
        "payer_name": "acme health", "appeal_phone": "(800) 555-0100", "icd10_codes": ["M75111"],
        "billed_amount": 10.001, "service_description": "LASIK surgery", "cpt_codes": ["99213", "99214"],
    }  # fmt: skip
    report = score([pred], [gold], grounded=[True])
    assert report.routing_accuracy == 1.0
    assert report.field_recall["payer_name"] == 1.0
    assert report.field_recall["appeal_phone"] == 1.0
    assert report.field_recall["billed_amount"] == 1.0
    assert report.code_recall["icd10_codes"] == 1.0
    assert report.code_precision["cpt_codes"] == 0.5
    assert report.grounded_document_rate == 1.0


def test_loose_description_match() -> None:
    assert loosely_equal("office visit; influenza test", "Urgent care visit with influenza test")
    assert not loosely_equal("x-ray", "Lab test")
    assert loosely_equal(None, None)
