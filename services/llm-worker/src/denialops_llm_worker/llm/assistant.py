"""What llm-worker asks the model: refine the facts the rules are unsure of, and word the plan.

Both uses treat the letter as untrusted input: it is delimited, stripped of the delimiters, and
nothing the model answers is taken on trust. A refined fact is kept only when it is copied
literally from the letter (and is one the rules were unsure of); the wording only replaces texts
and is grounding-checked by the pipeline. Any failure returns the template's input unchanged.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Sequence
from typing import get_args

from denialops_llm_worker.domain import build_action_plan
from denialops_llm_worker.domain.wording import Wording
from denialops_llm_worker.llm.answers import Composition, FactRefinement, RefinableField
from denialops_shared.contracts.artifacts import ActionPlan, CaseFacts, Deadlines, Evidence, RouteDecision
from denialops_shared.contracts.events import Page
from denialops_shared.llm.client import Completer, LlmRequest, LlmUnavailable, T
from denialops_shared.llm.metrics import FALLBACKS
from denialops_shared.llm.prompts import case_data, load_prompt

log = logging.getLogger(__name__)

PROMPTS = "denialops_llm_worker.llm.prompts"
REFINABLE: tuple[str, ...] = get_args(RefinableField)
MAX_FACT_CHARS = 300
_SHAPES = {"provider_npi": re.compile(r"\d{10}")}
_LETTER_TAG = re.compile(r"<\s*/?\s*untrusted_letter\s*>", re.I)
# Words addressed to a model, not to a patient. A letter holding them is not sent to the model at all:
# a value it plants could otherwise pass the "written in the letter" check.
_ORDERS = re.compile(
    r"\b(?:ignore|disregard|forget|override)\b[^.\n]{0,40}\b(?:instructions?|rules|prompts?|guidelines)\b"
    r"|\byou are now\b|\b(?:system|developer|assistant)\s*(?:prompt|message)?\s*:"
    r"|<\s*/?\s*(?:system|assistant|untrusted_letter|case_data)\b",
    re.I,
)


def gives_orders(pages: Sequence[Page]) -> bool:
    return any(_ORDERS.search(page.text) for page in pages)


def delimit_letter(pages: Sequence[Page]) -> str:
    """The letter between delimiters it cannot close itself."""
    text = "\n\n".join(f"[page {page.number}]\n{_LETTER_TAG.sub(' ', page.text)}" for page in pages)
    return f"<untrusted_letter>\n{text}\n</untrusted_letter>"


def find_in_letter(value: str, pages: Sequence[Page]) -> Evidence | None:
    """Where `value` is written in the letter, word for word (line breaks and spacing may differ)."""
    words = value.split()
    if not words:
        return None
    pattern = re.compile(r"(?<!\w)" + r"\s+".join(map(re.escape, words)) + r"(?!\w)")
    for page in pages:
        match = pattern.search(page.text)
        if match:
            return Evidence(page=page.number, start=match.start(), end=match.end())
    return None


class Assistant:
    def __init__(
        self, completer: Completer, *, model: str, prompt_version: str, temperature: float, refine_below: float
    ) -> None:
        self._completer = completer
        self._model = model
        self._prompt_version = prompt_version
        self._temperature = temperature
        self._refine_below = refine_below

    def unsure_fields(self, facts: CaseFacts) -> list[str]:
        return [
            name
            for name in REFINABLE
            if getattr(facts, name) is None or facts.confidence.get(name, 1.0) < self._refine_below
        ]

    async def prepare(
        self,
        facts: CaseFacts,
        decision: RouteDecision,
        today: dt.date,
        letter: Sequence[Page],
        deadlines: Deadlines | None = None,
    ) -> tuple[CaseFacts, Wording | None]:
        """The facts to generate from and the model's wording of their plan (None: use the templates)."""
        facts = await self.refine_facts(facts, letter)
        return facts, await self.word_plan(facts, decision, build_action_plan(facts, decision, today, deadlines))

    async def refine_facts(self, facts: CaseFacts, letter: Sequence[Page]) -> CaseFacts:
        unsure = self.unsure_fields(facts)
        if not unsure or not letter:
            return facts
        if gives_orders(letter):
            FALLBACKS.labels(use="refine_facts", reason="letter_gives_orders").inc()
            log.warning("llm_worker.letter.gives_orders")
            return facts
        request = LlmRequest(
            prompt=load_prompt(PROMPTS, "refine_facts", self._prompt_version),
            user=f"Facts to read: {', '.join(unsure)}\n\n{delimit_letter(letter)}",
            schema=FactRefinement,
            temperature=self._temperature,
        )
        answer = await self._ask("refine_facts", request)
        if answer is None:
            return facts
        updates: dict[str, str] = {}
        evidence = dict(facts.evidence)
        for item in answer.facts:
            value = " ".join(item.value.split())
            shape = _SHAPES.get(item.field)
            if item.field not in unsure or item.field in updates or not value or len(value) > MAX_FACT_CHARS:
                continue
            if shape is not None and not shape.fullmatch(value):
                continue
            span = find_in_letter(value, letter)
            if span is None:
                continue  # Not in the letter: the model made it up (or was told to).
            updates[item.field] = value
            evidence[item.field] = [span]
        discarded = len(answer.facts) - len(updates)
        log.info("llm_worker.facts.refined", extra={"kept": len(updates), "discarded": discarded})
        return facts.model_copy(update={**updates, "evidence": evidence}) if updates else facts

    async def _ask(self, use: str, request: LlmRequest[T]) -> T | None:
        """The model's answer; None, counted as a fallback for `use`, when the model is unavailable."""
        try:
            return await self._completer.complete(request)
        except LlmUnavailable as exc:
            FALLBACKS.labels(use=use, reason=exc.reason).inc()
            return None

    async def word_plan(self, facts: CaseFacts, decision: RouteDecision, plan: ActionPlan) -> Wording | None:
        request = LlmRequest(
            prompt=load_prompt(PROMPTS, "compose", self._prompt_version),
            user=case_data(facts.model_dump(mode="json"), decision.route.value, plan.model_dump(mode="json")),
            schema=Composition,
            temperature=self._temperature,
        )
        answer = await self._ask("compose", request)
        if answer is None:
            return None
        if not answer.summary.strip():
            FALLBACKS.labels(use="compose", reason="empty").inc()
            return None
        outlook = f"Likelihood of success: {answer.outlook.likelihood}. {answer.outlook.reason.strip()}"
        return Wording(
            model=self._model,
            prompt_version=self._prompt_version,
            summary=answer.summary,
            step_details={step.order: step.detail for step in answer.steps},
            letter_paragraph=answer.letter_paragraph.strip() or None,
            outlook=outlook,
        )
