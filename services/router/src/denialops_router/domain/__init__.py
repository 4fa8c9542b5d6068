"""Deterministic (no LLM) reading of denial letters, EOBs and plan documents: facts, plan rules and routing."""

from denialops_router.domain.eob import extract_eob_facts
from denialops_router.domain.extract import extract_case_facts
from denialops_router.domain.plan_rules import extract_plan_rules, merge_plan_rules
from denialops_router.domain.routing import decide_route

__all__ = ["decide_route", "extract_case_facts", "extract_eob_facts", "extract_plan_rules", "merge_plan_rules"]
