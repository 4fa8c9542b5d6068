"""Generation domain: the action plan, the document pack and grounding. Pure code, no I/O."""

from denialops_llm_worker.domain.documents import build_document_pack
from denialops_llm_worker.domain.grounding import GroundingReport, check_grounding
from denialops_llm_worker.domain.plan import build_action_plan
from denialops_llm_worker.domain.plan_markdown import render_action_plan_markdown

__all__ = [
    "GroundingReport",
    "build_action_plan",
    "build_document_pack",
    "check_grounding",
    "render_action_plan_markdown",
]
