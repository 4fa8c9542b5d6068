"""The model's wording of a plan, applied to the template plan: only texts change, never a decision.

Route, steps, owners, due dates and the timeline stay the template's; the grounding check then
decides whether the reworded texts may be used at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from denialops_shared.contracts.artifacts import ActionPlan


@dataclass(frozen=True, slots=True)
class Wording:
    model: str
    prompt_version: str
    summary: str
    # Step order -> its reworded detail.
    step_details: dict[int, str] = field(default_factory=dict)
    # A paragraph for the route's letters, in the sender's voice.
    letter_paragraph: str | None = None
    # The success prediction, for the plan document.
    outlook: str | None = None


def apply_wording(plan: ActionPlan, wording: Wording) -> ActionPlan:
    steps = [
        step.model_copy(update={"detail": wording.step_details[step.order].strip()})
        if wording.step_details.get(step.order, "").strip()
        else step
        for step in plan.steps
    ]
    return plan.model_copy(
        update={
            "summary": wording.summary.strip() or plan.summary,
            "steps": steps,
            "generated_by": "llm",
            "model": wording.model,
            "prompt_version": wording.prompt_version,
        }
    )
