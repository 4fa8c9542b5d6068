"""Which programme's appeal rules govern the case, and why (DEADLINES.md 4.3 rule 1).

Cues are weighed by where they stand: the payer, plan name and plan type read from the letter weigh
most, the letterhead next, a sentence of the body least. A sentence about some other coverage
(coordination of benefits, "bill the employer plan first", "Medicaid is the payer of last resort") or
a conditional one ("if your plan is an employer plan covered by ERISA") counts for little: letters
name other programmes all the time. Patterns are lower-case and run on `Doc.lower`.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass

from denialops_router.domain.patterns import scan
from denialops_router.domain.text import Doc
from denialops_router.domain.text import at_word as _w
from denialops_shared.contracts.artifacts import CaseFacts, Regime

NAME_WEIGHT = 3.0
HEADING_WEIGHT = 2.0
BODY_WEIGHT = 1.0
ASIDE_WEIGHT = 0.25
# Letterhead: the first lines, where the payer and programme are named.
HEADING_LINES = 12
# Below this score no regime is claimed.
MIN_SCORE = 1.0


@dataclass(frozen=True)
class _Phrases:
    """A regime's cue phrases. `gate` holds each phrase's literal start: a text holding none of them cannot
    match, and is skipped without running the alternation (a scan for a literal is much faster)."""

    regex: re.Pattern[str]
    gate: tuple[str, ...]

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        return scan(self.regex, text) if any(g in text for g in self.gate) else iter(())


_LITERAL_START = re.compile(r"[^\\()\[\]{}?*+|.^$]+")


def _phrases(*branches: str) -> _Phrases:
    starts = [_LITERAL_START.match(branch) for branch in branches]
    assert all(starts), "every cue phrase starts with a literal"
    return _Phrases(re.compile("|".join(branches)), tuple(m.group(0) for m in starts if m))


_CUES: dict[Regime, _Phrases] = {
    Regime.MEDICARE_PART_D: _phrases(
        rf"{_w('part d')}\b", "medicare prescription drug", "medicare drug plan", rf"{_w('pdp')}\b", rf"{_w('ma-pd')}\b"
    ),
    Regime.MEDICARE_ADVANTAGE: _phrases(
        "medicare advantage",
        rf"{_w('part c')}\b",
        "with a medicare contract",
        rf"{_w('dsnp')}\b",
        rf"{_w('d-snp')}\b",
        "dual(?:-| )eligible special needs",
        r"medicare (?:hmo|ppo|pffs)\b",
    ),
    Regime.MEDICARE_FFS: _phrases(
        "medicare summary notice",
        "original medicare",
        "medicare administrative contractor",
        r"medicare (?:part [ab]|fee-for-service|ffs)\b",
        "medicare remittance",
        "noridian",
        "palmetto gba",
        "novitas",
        "first coast service",
        "national government services",
        "cgs administrators",
        "wisconsin physicians service",
    ),
    Regime.MEDICAID_MANAGED_CARE: _phrases(
        "medicaid (?:and chip )?managed care",
        "managed care organi[sz]ation",
        rf"{_w('mco')}\b",
        r"medicaid (?:health )?plan\b",
        "medicaid (?:hmo|advantage)",
    ),
    Regime.MEDICAID_FFS: _phrases(
        "medicaid fee-for-service",
        "medicaid ffs",
        "state medicaid (?:agency|program)",
        "department of (?:health and human services|social services|medical assistance)",
    ),
    Regime.ACA_INDIVIDUAL: _phrases(
        "marketplace",
        "individual (?:&|and) family (?:plan|coverage)",
        r"healthcare\.gov",
        "qualified health plan",
        "exchange plan",
        r"individual (?:health )?(?:plan|coverage|policy)\b",
        "student health (?:insurance )?plan",
    ),
    Regime.ERISA: _phrases(
        rf"{_w('erisa')}\b",
        r"502\(a\)",
        "self-(?:funded|insured)",
        "employee (?:welfare )?benefit plan",
        "welfare benefit plan",
        "employer(?:-sponsored| group)? (?:health )?plan",
        "group health plan",
        "your employer",
        "employee (?:medical|health) plan",
        "third-party administrator",
        rf"{_w('tpa')}\b",
    ),
    Regime.STATE_FULLY_INSURED: _phrases(
        "fully insured",
        "department of (?:insurance|managed health care|financial services)",
        "insurance (?:commissioner|department|law)",
        "independent medical review",
        rf"{_w('imr')}\b",
        "church plan",
        "governmental plan",
        "government(?:al)? employer",
    ),
}
# A drug coverage determination is Part D only in a Medicare letter (commercial PBMs use the words too).
_DRUG_DECISION = re.compile(r"(?<!local )(?<!national )coverage (?:determination|redetermination)(?! \(?[ln]cd)")
# Medicaid named on its own: managed care or fee-for-service is decided by whether a plan decides.
_MEDICAID = re.compile(r"\bmedicaid\b|\bmedi-cal\b")
_PLAN_WORDS = re.compile(r"\bplan\b|\bhealth\b|\bcare\b|\bhmo\b|\bmco\b|\bpartners?\b|\balliance\b")
# Someone else's coverage, or a rule the reader's plan may or may not fall under.
_ASIDE = re.compile(
    r"other (?:coverage|insurance|payer)|primary|secondary|payer of last resort|coordination of benefits|"
    rf"{_w('bill')} (?:the|her|his|their|your)\b|also has|dependent of|{_w('if')} (?:your|the|you)\b|"
    rf"{_w('such as')}\b|for example|{_w('unless')}\b|{_w('whether')}\b|(?:coverage|enrollment|plan) "
    rf"(?:has )?ended|returned to|{_w('not')} (?:part of|an? (?:medicare|medicaid|employer|marketplace|erisa))|"
    r"local coverage|national coverage"
)
# Which of two Medicare (or Medicaid) cues governs when both are present.
_PRECEDENCE = (
    Regime.MEDICARE_PART_D,
    Regime.MEDICARE_ADVANTAGE,
    Regime.MEDICARE_FFS,
    Regime.MEDICAID_MANAGED_CARE,
    Regime.MEDICAID_FFS,
    Regime.ACA_INDIVIDUAL,
    Regime.ERISA,
    Regime.STATE_FULLY_INSURED,
)
_LABELS = {
    Regime.ERISA: "ERISA employer group health plan (29 CFR 2560.503-1)",
    Regime.ACA_INDIVIDUAL: "ACA individual / Marketplace plan (45 CFR 147.136)",
    Regime.STATE_FULLY_INSURED: "state-regulated fully insured plan (state law)",
    Regime.MEDICARE_FFS: "Original Medicare, Parts A/B (42 CFR 405 Subpart I)",
    Regime.MEDICARE_ADVANTAGE: "Medicare Advantage, Part C (42 CFR 422 Subpart M)",
    Regime.MEDICARE_PART_D: "Medicare Part D (42 CFR 423 Subpart M)",
    Regime.MEDICAID_MANAGED_CARE: "Medicaid managed care (42 CFR 438 Subpart F)",
    Regime.MEDICAID_FFS: "Medicaid fee-for-service (42 CFR 431 Subpart E)",
}


@dataclass(frozen=True)
class _Cue:
    regime: Regime
    weight: float
    where: str
    words: str


def find_regime(facts: CaseFacts, doc: Doc) -> tuple[Regime, str]:
    """The governing programme and the reason, naming the strongest cues (words of our patterns, not PHI)."""
    cues = _cues(facts, doc)
    scores = {regime: sum(c.weight for c in cues if c.regime is regime) for regime in _PRECEDENCE}
    best = max(scores.values())
    if best < MIN_SCORE:
        return Regime.UNKNOWN, "No payer, plan type or letter wording names the programme."
    regime = _resolve(scores, best)
    strongest = sorted((c for c in cues if c.regime is regime), key=lambda c: -c.weight)
    said = "; ".join(dict.fromkeys(f"{c.where} says '{c.words}'" for c in strongest[:3]))
    return regime, f"{_LABELS[regime]}: {said}."


def _resolve(scores: dict[Regime, float], best: float) -> Regime:
    """The top score wins; within a family the more specific programme wins once it is clearly present.

    An MA-PD plan's drug decision is Part D; a Medicare Advantage letter names Medicare too; an MCO letter
    names the State Medicaid agency (its fair hearing); an employer plan's letter names the state
    Department of Insurance (its external review) without being state-regulated.
    """
    for specific, general in (
        (Regime.MEDICARE_PART_D, (Regime.MEDICARE_ADVANTAGE, Regime.MEDICARE_FFS)),
        (Regime.MEDICARE_ADVANTAGE, (Regime.MEDICARE_FFS,)),
        (Regime.MEDICAID_MANAGED_CARE, (Regime.MEDICAID_FFS,)),
        (Regime.ERISA, (Regime.STATE_FULLY_INSURED,)),
        (Regime.ACA_INDIVIDUAL, (Regime.STATE_FULLY_INSURED, Regime.ERISA)),
    ):
        if scores[specific] >= MIN_SCORE and any(scores[g] == best for g in general):
            return specific
    return next(r for r in _PRECEDENCE if scores[r] == best)


def _cues(facts: CaseFacts, doc: Doc) -> list[_Cue]:
    out: list[_Cue] = []
    names = " | ".join(v for v in (facts.payer_name, facts.plan_name, facts.plan_type) if v).lower()
    out += _match(names, NAME_WEIGHT, "the payer or plan name")
    if _MEDICAID.search(names):
        kind = Regime.MEDICAID_MANAGED_CARE if _PLAN_WORDS.search(names) else Regime.MEDICAID_FFS
        out.append(_Cue(kind, NAME_WEIGHT, "the payer or plan name", "medicaid"))
    asides: dict[int, bool] = {}

    def aside(pos: int) -> bool:
        span = doc.sentence(pos)
        if span.start not in asides:
            asides[span.start] = bool(_ASIDE.search(doc.lower[span.start : span.end]))
        return asides[span.start]

    # A letterhead line is judged by itself: the "sentence" around it runs on through the address block.
    lines = (
        doc.lower[s.start : s.end] for s in doc.lines() if not doc.lower[s.start : s.end].isspace() and s.end > s.start
    )
    heading = "\n".join(line for line in itertools.islice(lines, HEADING_LINES) if not _ASIDE.search(line))
    out += _match(heading, HEADING_WEIGHT, "the letterhead")
    for regime, pattern in _CUES.items():
        for m in pattern.finditer(doc.lower):
            out.append(_Cue(regime, ASIDE_WEIGHT if aside(m.start()) else BODY_WEIGHT, "the letter", m.group(0)))
    if "medicare" in doc.lower:
        out += [
            _Cue(Regime.MEDICARE_PART_D, BODY_WEIGHT, "the letter", m.group(0)) for m in scan(_DRUG_DECISION, doc.lower)
        ]
    return out


def _match(text: str, weight: float, where: str) -> list[_Cue]:
    return [
        _Cue(regime, weight, where, m.group(0)) for regime, pattern in _CUES.items() for m in pattern.finditer(text)
    ]
