"""Deterministic (no LLM) reading of denial letters: case-facts extraction and routing."""

from denialops_router.domain.extract import extract_case_facts
from denialops_router.domain.routing import decide_route

__all__ = ["decide_route", "extract_case_facts"]
