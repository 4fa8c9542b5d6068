"""The labelled samples meet the quality bars through the same evaluation the CLI runs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from denialops_cli.evaluation import (
    LABEL_KEYS,
    evaluate,
    evaluation_json,
    format_evaluation,
    format_report,
    load_letters,
    loosely_equal,
    score,
)

SAMPLES = Path(__file__).resolve().parents[3] / "data" / "samples"


@pytest.mark.skipif(not (SAMPLES / "labels.jsonl").exists(), reason="sample letters not present")
def test_samples_meet_quality_bars() -> None:
    evaluation = evaluate(SAMPLES)
    report = evaluation.development
    summary = format_report(report)
    assert evaluation.validation is None  # the samples have no held-out fold
    assert report.letters == 21
    assert report.routing_accuracy == 1.0, summary
    assert not report.mismatches, summary
    for name in report.field_recall:
        assert report.field_recall[name] == 1.0, f"{name}: {summary}"
        assert report.field_precision[name] == 1.0, f"{name}: {summary}"
    for name, precision in report.code_precision.items():
        assert precision == 1.0, f"{name}: {summary}"
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


def test_precision_counts_only_predicted_values_and_confusion_counts_routes() -> None:
    blank = dict.fromkeys(LABEL_KEYS) | {"cpt_codes": [], "hcpcs_codes": [], "icd10_codes": [], "denial_codes": []}
    gold = [
        blank | {"file": "a", "route": "exclusion", "member_id": "M1"},
        blank | {"file": "b", "route": "exclusion", "member_id": "M2"},
        blank | {"file": "c", "route": "escalation", "member_id": None},
    ]
    pred = [
        gold[0] | {"route": "exclusion"},
        gold[1] | {"route": "escalation", "member_id": None},  # missed: hurts recall, not precision
        gold[2] | {"route": "escalation", "member_id": "X9"},  # invented: hurts precision, not recall
    ]
    report = score(pred, gold)
    assert report.field_recall["member_id"] == 0.5
    assert report.field_precision["member_id"] == 0.5
    assert report.field_precision["payer_name"] == 1.0  # never predicted: nothing wrong
    assert report.route_confusion == {"escalation": {"escalation": 1}, "exclusion": {"escalation": 1, "exclusion": 1}}
    assert report.route_accuracy == {"escalation": 1.0, "exclusion": 0.5}
    table = format_report(report)
    assert "route confusion" in table


def _two_sample_corpus(tmp_path: Path, held_out: str) -> Path:
    """A folder like data/corpus: two sample letters, one of them in validation.txt, its label wrong on purpose."""
    (tmp_path / "letters").mkdir()
    labels = {
        json.loads(line)["file"]: json.loads(line) for line in (SAMPLES / "labels.jsonl").read_text().splitlines()
    }
    rows = []
    for name in ("001.txt", "002.txt"):
        shutil.copy(SAMPLES / "letters" / name, tmp_path / "letters" / name)
        row = labels[f"letters/{name}"]
        if f"letters/{name}" == held_out:
            row = row | {
                "member_id": "NOT-THE-ID",
                "route": "escalation" if row["route"] != "escalation" else "exclusion",
            }
        rows.append(json.dumps(row))
    (tmp_path / "labels.jsonl").write_text("\n".join(rows) + "\n")
    (tmp_path / "validation.txt").write_text(held_out + "\n")
    return tmp_path


@pytest.mark.skipif(not (SAMPLES / "labels.jsonl").exists(), reason="sample letters not present")
def test_validation_fold_is_scored_apart_and_never_shown(tmp_path: Path) -> None:
    held_out = "letters/002.txt"
    evaluation = evaluate(_two_sample_corpus(tmp_path, held_out))
    development, validation = evaluation.development, evaluation.validation
    assert validation is not None
    assert development.letters == 1
    assert validation.letters == 1
    assert [row["file"] for row in development.predictions] == ["letters/001.txt"]
    assert development.routing_accuracy == 1.0
    assert development.field_recall["member_id"] == 1.0
    # The held-out letter is scored (its wrong label shows in the figures) ...
    assert validation.routing_accuracy == 0.0
    assert validation.field_recall["member_id"] == 0.0
    # ... but nothing says how it failed, in the text, the JSON or the predictions.
    assert validation.predictions == []
    assert validation.mismatches == {}
    shown = format_evaluation(evaluation) + json.dumps(evaluation_json(evaluation))
    assert "letters/002" not in shown
    assert "validation fold" in shown
    assert "predictions" not in evaluation_json(evaluation)["validation"]


def test_text_only_reads_the_txt_next_to_a_pdf(tmp_path: Path) -> None:
    (tmp_path / "letters").mkdir()
    (tmp_path / "letters" / "x.txt").write_text("the text layer")
    (tmp_path / "letters" / "x.pdf").write_bytes(b"not a pdf at all")
    [letter] = load_letters(tmp_path, text_only=True)
    assert letter.file == "letters/x.txt"
    assert letter.pages == ["the text layer"]


@pytest.mark.skipif(not (SAMPLES / "labels.jsonl").exists(), reason="sample letters not present")
def test_a_set_held_out_whole_shows_no_development_scores(tmp_path: Path) -> None:
    corpus = _two_sample_corpus(tmp_path, "letters/002.txt")
    (corpus / "validation.txt").write_text("letters/001.txt\nletters/002.txt\n")
    shown = format_evaluation(evaluate(corpus))
    development, validation = shown.split("== validation fold (scores only) ==")
    assert "letters: 0 (nothing to score)" in development
    assert "%" not in development  # an empty fold scores nothing, rather than 100 %
    assert "letters: 2" in validation
    assert "routing accuracy: 50.0%" in validation
