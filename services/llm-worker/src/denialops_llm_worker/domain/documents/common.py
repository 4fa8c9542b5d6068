"""What every document builder gets, and the two document shapes: letters and checklists."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

from denialops_llm_worker.domain import formatting as fmt
from denialops_llm_worker.domain.context import fact_context
from denialops_llm_worker.domain.plan import case_urgency
from denialops_llm_worker.domain.playbooks import Playbook, playbook_for
from denialops_llm_worker.domain.sections import (
    assumptions_section,
    case_reference,
    disclaimer_footer,
    document,
    section,
)
from denialops_shared.contracts.artifacts import ActionPlan, CaseFacts, RouteDecision, Urgency

EXPEDITED_PARAGRAPH = (
    "**This is an expedited (urgent) request.** The treating clinician confirms that waiting for a standard "
    "decision could seriously jeopardize the patient's life, health or ability to regain maximum function. "
    "Please decide as quickly as the patient's condition requires."
)


@dataclass(frozen=True)
class PackInput:
    facts: CaseFacts
    decision: RouteDecision
    plan: ActionPlan
    # The model's paragraph for letters (LLM path only), placed after the opening paragraph.
    letter_paragraph: str | None = None

    @cached_property
    def context(self) -> dict[str, str]:
        return fact_context(self.facts, self.plan.timeline)

    @cached_property
    def urgent(self) -> bool:
        return case_urgency(self.facts, self.decision) is Urgency.EXPEDITED

    @cached_property
    def playbook(self) -> Playbook:
        return playbook_for(self.decision.route, self.facts)

    def fill(self, template: str) -> str:
        return template.format_map(self.context)

    def title(self, title: str) -> str:
        return f"EXPEDITED - {title}" if self.urgent else title

    def closing(self) -> tuple[str, str]:
        """The Assumptions section and the disclaimer footer every document ends with."""
        return assumptions_section(self.plan.assumptions), disclaimer_footer(self.plan.disclaimers)


def _recipient(pack: PackInput, recipient: str) -> str:
    return pack.fill(
        f"**To:** {recipient}  \n"
        "**Address:** {appeal_address}  \n"
        "**Fax:** {appeal_fax}  \n"
        "**Phone:** {appeal_phone}"
    )


def letter(
    pack: PackInput,
    *,
    title: str,
    subject: str,
    paragraphs: Iterable[str],
    enclosures: Iterable[str],
    signer: str,
    recipient: str = "{payer_name}, Appeals Department",
) -> str:
    """A letter to send: recipient, case reference, body (expedited notice first), enclosures."""
    body = [pack.fill(paragraph) for paragraph in paragraphs]
    if pack.letter_paragraph:
        body.insert(1, pack.letter_paragraph.strip())
    if pack.urgent:
        body.insert(0, EXPEDITED_PARAGRAPH)
    return document(
        pack.title(title),
        "[Date of sending]",
        _recipient(pack, recipient),
        pack.fill(f"**Re:** {subject}"),
        section("Case", case_reference(pack.context)),
        "To whom it may concern:",
        "\n\n".join(body),
        f"Sincerely,\n\n{pack.fill(signer)}",
        section("Enclosures", fmt.checkboxes(enclosures)),
        *pack.closing(),
    )


def _plan_steps(pack: PackInput) -> str:
    return fmt.checkboxes(
        f"{step.title} (owner: {step.owner}; due: {fmt.due(step.due_date)})" for step in pack.plan.steps
    )


def checklist(pack: PackInput, *, title: str, items: Iterable[str]) -> str:
    """A working checklist: route-specific checks, the evidence to gather and the dated plan steps."""
    return document(
        pack.title(title),
        pack.plan.summary,
        section("Case", case_reference(pack.context)),
        section("Checklist", fmt.checkboxes(pack.fill(item) for item in items)),
        section("Evidence to gather", fmt.checkboxes(pack.plan.evidence_checklist)),
        section("Steps and due dates", _plan_steps(pack)),
        *pack.closing(),
    )
