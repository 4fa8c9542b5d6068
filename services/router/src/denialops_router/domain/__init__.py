"""Deterministic (no LLM) reading of denial letters, EOBs and plan documents: facts, plan rules, routing and
deadlines."""

from denialops_router.domain.deadline_engine import build_deadlines
from denialops_router.domain.eob import extract_eob_facts
from denialops_router.domain.extract import extract_case_facts, read_by_ocr
from denialops_router.domain.plan_rules import extract_plan_rules, merge_plan_rules
from denialops_router.domain.routing import decide_route

__all__ = [
    "build_deadlines",
    "decide_route",
    "extract_case_facts",
    "extract_eob_facts",
    "extract_plan_rules",
    "merge_plan_rules",
    "read_by_ocr",
]
