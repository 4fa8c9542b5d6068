"""Accuracy evaluation over a labelled folder (`DIR/labels.jsonl` + `DIR/letters/*.txt|*.pdf`).

Runs exactly `extract_case_facts` + `decide_route` and compares with the labels the way the samples
README suggests: case/whitespace-insensitive text, ICD codes with the dot, phones as digits, code
lists as sets, amounts to the cent, service descriptions loosely.

A folder with `validation.txt` (the corpus) has a held-out fold: those letters are scored apart and
only their scores leave this module, never their mismatches or predictions, so nobody tunes a rule
on them by accident.
"""

from __future__ import annotations

import json
import re
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from denialops_intake.text_extraction import PDF_MEDIA_TYPE, ExtractedText, extract_pages
from denialops_router.domain import decide_route, extract_case_facts, read_by_ocr
from denialops_shared.contracts.artifacts import CaseFacts, RouteDecision

# Optional hook (llm-worker): one verdict per document generated for the case, True when grounded.
GroundingCheck = Callable[[CaseFacts, RouteDecision], list[bool]]

LABEL_KEYS = (
    "file", "route", "payer_name", "member_id", "claim_number", "patient_name", "provider_name",
    "service_description", "cpt_codes", "hcpcs_codes", "icd10_codes", "denial_codes", "date_of_service",
    "date_of_denial", "appeal_deadline", "appeal_window_days", "billed_amount", "allowed_amount",
    "patient_responsibility", "appeal_phone", "appeal_fax", "urgency", "notes",
)  # fmt: skip
CODE_FIELDS = ("cpt_codes", "hcpcs_codes", "icd10_codes", "denial_codes")
SCALAR_FIELDS = tuple(k for k in LABEL_KEYS if k not in ("file", "route", "notes", *CODE_FIELDS))
_STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "the",
        "of",
        "for",
        "with",
        "to",
        "in",
        "on",
        "at",
        "by",
        "as",
        "or",
        "from",
        "after",
        "before",
        "not",
        "was",
        "is",
    ]
)

# Seconds of OCR a scanned page may take in an evaluation (intake's default is 10 s).
EVAL_OCR_PAGE_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class Letter:
    file: str
    pages: list[str]
    # The text came through OCR (a scanned PDF page): extraction reads codes and ids OCR-tolerantly.
    ocr: bool = False


@dataclass
class EvalReport:
    letters: int
    routing_accuracy: float
    route_accuracy: dict[str, float]
    # gold route -> predicted route -> letters
    route_confusion: dict[str, dict[str, int]]
    field_recall: dict[str, float]
    # Of the letters where a value was predicted, the share that is right.
    field_precision: dict[str, float]
    field_accuracy: dict[str, float]
    code_recall: dict[str, float]
    code_precision: dict[str, float]
    median_ms: float
    # CPU time is the steadier figure on a shared, busy machine.
    median_cpu_ms: float
    predictions: list[dict[str, Any]] = field(default_factory=list)
    mismatches: dict[str, list[str]] = field(default_factory=dict)
    grounded_document_rate: float | None = None

    def scores_only(self) -> EvalReport:
        """The same figures without anything that shows which letter failed how."""
        return replace(self, predictions=[], mismatches={})


@dataclass
class Evaluation:
    development: EvalReport
    # Scores only (see `scores_only`); None when the folder has no validation.txt.
    validation: EvalReport | None = None


def load_letters(root: Path, text_only: bool = False) -> list[Letter]:
    """Every letter in `root/letters`; a PDF and a .txt with the same stem are one letter.

    The PDF is read (through OCR when it has no text layer) unless `text_only`, which reads the .txt
    so development loops skip OCR; a PDF without a .txt is read either way.
    """
    folder = root / "letters"
    stems = sorted({p.stem for p in folder.iterdir() if p.suffix.lower() in (".txt", ".pdf")})
    letters = []
    for stem in stems:
        pdf, txt = folder / f"{stem}.pdf", folder / f"{stem}.txt"
        read_pdf = pdf.exists() and not (text_only and txt.exists())
        if read_pdf:
            extracted = _read_pdf(pdf.read_bytes())
            letters.append(Letter(f"letters/{stem}.txt", extracted.pages, ocr=read_by_ocr(extracted.method)))
        else:
            letters.append(Letter(f"letters/{stem}.txt", [txt.read_text("utf-8")]))
    return letters


def load_validation_fold(root: Path) -> frozenset[str]:
    """The held-out files named in `root/validation.txt` (empty when there is none)."""
    path = root / "validation.txt"
    if not path.exists():
        return frozenset()
    return frozenset(line.strip() for line in path.read_text("utf-8").splitlines() if line.strip())


def _read_pdf(data: bytes) -> ExtractedText:
    # A page whose OCR times out reads as empty; the evaluation waits longer than intake so that its
    # scores say what extraction does, not how loaded the machine was.
    return extract_pages(data, PDF_MEDIA_TYPE, ocr_page_timeout_s=EVAL_OCR_PAGE_TIMEOUT_S)


def load_labels(root: Path) -> dict[str, dict[str, Any]]:
    lines = (root / "labels.jsonl").read_text("utf-8").splitlines()
    labels = [json.loads(line) for line in lines if line.strip()]
    return {label["file"]: label for label in labels}


def predict(letter: Letter) -> tuple[dict[str, Any], CaseFacts, RouteDecision, tuple[float, float]]:
    """One letter through extraction and routing, with (wall, CPU) milliseconds."""
    started, cpu_started = time.perf_counter(), time.thread_time()
    facts = extract_case_facts(letter.pages, ocr=letter.ocr)
    decision = decide_route(facts, letter.pages)
    timing = ((time.perf_counter() - started) * 1000, (time.thread_time() - cpu_started) * 1000)
    return to_label_row(letter.file, facts, decision), facts, decision, timing


def _number(amount: Decimal | None) -> float | None:
    # Facts hold amounts as Decimals; a prediction row is JSON with numbers, like labels.jsonl.
    return None if amount is None else float(amount)


def to_label_row(file: str, facts: CaseFacts, decision: RouteDecision) -> dict[str, Any]:
    """One prediction with exactly the keys of labels.jsonl."""
    return {
        "file": file,
        "route": decision.route.value,
        "payer_name": facts.payer_name,
        "member_id": facts.member_id,
        "claim_number": facts.claim_number,
        "patient_name": facts.patient_name,
        "provider_name": facts.provider_name,
        "service_description": facts.service_description,
        "cpt_codes": list(facts.cpt_codes),
        "hcpcs_codes": list(facts.hcpcs_codes),
        "icd10_codes": list(facts.icd10_codes),
        "denial_codes": [c.code for c in facts.denial_codes],
        "date_of_service": facts.date_of_service.isoformat() if facts.date_of_service else None,
        "date_of_denial": facts.date_of_denial.isoformat() if facts.date_of_denial else None,
        "appeal_deadline": facts.appeal_deadline.isoformat() if facts.appeal_deadline else None,
        "appeal_window_days": facts.appeal_window_days,
        "billed_amount": _number(facts.billed_amount),
        "allowed_amount": _number(facts.allowed_amount),
        "patient_responsibility": _number(facts.patient_responsibility),
        "appeal_phone": facts.appeal_contact.phone,
        "appeal_fax": facts.appeal_contact.fax,
        "urgency": facts.urgency.value,
        "notes": decision.reasoning,
    }


def normalise(name: str, value: Any) -> Any:
    if value is None:
        return None
    if name in ("billed_amount", "allowed_amount", "patient_responsibility"):
        return round(float(value) * 100)
    if name in ("appeal_phone", "appeal_fax"):
        return re.sub(r"\D", "", str(value))
    if name == "appeal_window_days":
        return int(value)
    return " ".join(str(value).lower().split())


def normalise_code(name: str, code: str) -> str:
    code = code.strip().upper().replace(" ", "")
    if name == "icd10_codes" and "." not in code and len(code) > 3:
        code = f"{code[:3]}.{code[3:]}"
    return code


def loosely_equal(predicted: Any, expected: Any) -> bool:
    """Service descriptions are free text: a shared content word is enough."""
    if predicted is None or expected is None:
        return predicted is expected
    return bool(_content_words(predicted) & _content_words(expected))


def _content_words(value: object) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", str(value).lower()) if w not in _STOPWORDS and len(w) > 2}


@dataclass
class FolderRun:
    predictions: list[dict[str, Any]]
    timings: list[tuple[float, float]]
    grounded: list[bool]


def run_folder(root: Path, grounding: GroundingCheck | None = None, text_only: bool = False) -> FolderRun:
    """Every letter of `root/letters` through extraction and routing (and grounding, when given)."""
    return run_letters(load_letters(root, text_only), grounding)


def run_letters(letters: Sequence[Letter], grounding: GroundingCheck | None = None) -> FolderRun:
    run = FolderRun([], [], [])
    for letter in letters:
        row, facts, decision, timing = predict(letter)
        run.predictions.append(row)
        run.timings.append(timing)
        if grounding is not None:
            run.grounded.extend(grounding(facts, decision))
    return run


def evaluate(root: Path, grounding: GroundingCheck | None = None, text_only: bool = False) -> Evaluation:
    """Score the labelled letters of `root`, the validation fold (if any) apart and as scores only."""
    labels = load_labels(root)
    held_out = load_validation_fold(root)
    letters = load_letters(root, text_only)
    development = _score_run(run_letters([x for x in letters if x.file not in held_out], grounding), labels)
    if not held_out:
        return Evaluation(development)
    validation = _score_run(run_letters([x for x in letters if x.file in held_out], grounding), labels)
    return Evaluation(development, validation.scores_only())


def _score_run(run: FolderRun, labels: dict[str, dict[str, Any]]) -> EvalReport:
    """Score the letters of a run that have a label (unlabelled ones are read but not scored)."""
    labelled = [(p, t) for p, t in zip(run.predictions, run.timings, strict=True) if p["file"] in labels]
    return score(
        [p for p, _ in labelled], [labels[p["file"]] for p, _ in labelled], [t for _, t in labelled], run.grounded
    )


def score(
    predictions: Sequence[dict[str, Any]],
    gold: Sequence[dict[str, Any]],
    timings: Sequence[tuple[float, float]] = (),
    grounded: Sequence[bool] | None = None,
) -> EvalReport:
    n = len(gold)
    mismatches: dict[str, list[str]] = {}
    route_hits: dict[str, list[bool]] = {}
    confusion: dict[str, dict[str, int]] = {}
    recall_hits: dict[str, list[bool]] = {f: [] for f in SCALAR_FIELDS}
    precision_hits: dict[str, list[bool]] = {f: [] for f in SCALAR_FIELDS}
    accuracy_hits: dict[str, list[bool]] = {f: [] for f in SCALAR_FIELDS}
    code_tp = dict.fromkeys(CODE_FIELDS, 0)
    code_pred = dict.fromkeys(CODE_FIELDS, 0)
    code_gold = dict.fromkeys(CODE_FIELDS, 0)
    for pred, label in zip(predictions, gold, strict=True):
        wrong: list[str] = []
        ok = pred["route"] == label["route"]
        route_hits.setdefault(label["route"], []).append(ok)
        row = confusion.setdefault(label["route"], {})
        row[pred["route"]] = row.get(pred["route"], 0) + 1
        if not ok:
            wrong.append(f"route (got {pred['route']})")
        for name in SCALAR_FIELDS:
            if name == "service_description":
                same = loosely_equal(pred[name], label[name])
            else:
                same = normalise(name, pred[name]) == normalise(name, label[name])
            accuracy_hits[name].append(same)
            if label[name] is not None:
                recall_hits[name].append(same)
            if pred[name] is not None:
                precision_hits[name].append(same)
            if not same:
                wrong.append(name)
        for name in CODE_FIELDS:
            p = {normalise_code(name, c) for c in pred[name]}
            g = {normalise_code(name, c) for c in label[name]}
            code_tp[name] += len(p & g)
            code_pred[name] += len(p)
            code_gold[name] += len(g)
            if p != g:
                wrong.append(name)
        if wrong:
            mismatches[pred["file"]] = wrong
    return EvalReport(
        letters=n,
        routing_accuracy=_rate([h for hits in route_hits.values() for h in hits]),
        route_accuracy={route: _rate(hits) for route, hits in sorted(route_hits.items())},
        route_confusion={gold: dict(sorted(row.items())) for gold, row in sorted(confusion.items())},
        field_recall={name: _rate(hits) for name, hits in recall_hits.items()},
        field_precision={name: _rate(hits) for name, hits in precision_hits.items()},
        field_accuracy={name: _rate(hits) for name, hits in accuracy_hits.items()},
        code_recall={name: code_tp[name] / code_gold[name] if code_gold[name] else 1.0 for name in CODE_FIELDS},
        code_precision={name: code_tp[name] / code_pred[name] if code_pred[name] else 1.0 for name in CODE_FIELDS},
        median_ms=statistics.median(t[0] for t in timings) if timings else 0.0,
        median_cpu_ms=statistics.median(t[1] for t in timings) if timings else 0.0,
        predictions=list(predictions),
        mismatches=mismatches,
        grounded_document_rate=_rate(list(grounded)) if grounded else None,
    )


def _rate(hits: Sequence[bool]) -> float:
    return sum(hits) / len(hits) if hits else 1.0


def format_report(report: EvalReport, title: str = "") -> str:
    if not report.letters:
        # No letter, no score: rates of nothing would read as 100 %.
        return "\n".join([*([title] if title else []), "letters: 0 (nothing to score)"])
    lines = [
        *([title] if title else []),
        f"letters: {report.letters}",
        f"routing accuracy: {report.routing_accuracy:.1%}",
        *(f"  {route:<28} {acc:.1%}" for route, acc in report.route_accuracy.items()),
        *_format_confusion(report.route_confusion),
        "field recall / precision (accuracy incl. nulls):",
        *(
            f"  {name:<28} {report.field_recall[name]:.1%} / {report.field_precision[name]:.1%}"
            f"  ({report.field_accuracy[name]:.1%})"
            for name in report.field_recall
        ),
        "codes: recall / precision",
        *(
            f"  {name:<28} {report.code_recall[name]:.1%} / {report.code_precision[name]:.1%}"
            for name in report.code_recall
        ),
        f"median time per letter: {report.median_ms:.2f} ms wall, {report.median_cpu_ms:.2f} ms CPU",
    ]
    if report.grounded_document_rate is not None:
        lines.append(f"grounded documents: {report.grounded_document_rate:.1%}")
    if report.mismatches:
        lines.append("mismatches:")
        lines += [f"  {file}: {', '.join(fields)}" for file, fields in sorted(report.mismatches.items())]
    return "\n".join(lines)


def _format_confusion(confusion: dict[str, dict[str, int]]) -> list[str]:
    """Rows are the labelled route, columns the predicted one (numbered like the rows, to stay narrow)."""
    routes = sorted({*confusion, *(p for row in confusion.values() for p in row)})
    header = "".join(f"{i:>4}" for i in range(1, len(routes) + 1))
    lines = ["route confusion (row: labelled, column: predicted):", f"  {'':<31}{header}"]
    for i, gold in enumerate(routes, 1):
        row = confusion.get(gold, {})
        lines.append(f"  {i:>2} {gold:<28}" + "".join(f"{row.get(p, 0) or '.':>4}" for p in routes))
    return lines


def format_evaluation(evaluation: Evaluation) -> str:
    parts = [format_report(evaluation.development, "== development letters ==" if evaluation.validation else "")]
    if evaluation.validation is not None:
        parts.append(format_report(evaluation.validation, "== validation fold (scores only) =="))
    return "\n\n".join(parts)


def evaluation_json(evaluation: Evaluation) -> dict[str, Any]:
    """The scores as JSON (the development mismatches included; predictions go to --predictions-out)."""
    out: dict[str, Any] = {"development": _report_json(evaluation.development)}
    if evaluation.validation is not None:
        out["validation"] = _report_json(evaluation.validation)
    return out


def _report_json(report: EvalReport) -> dict[str, Any]:
    data = asdict(report)
    del data["predictions"]
    return data
