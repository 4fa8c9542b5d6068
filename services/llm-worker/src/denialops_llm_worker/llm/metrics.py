"""Prometheus metrics of the LLM path (`denialops_llm_` prefix). Labels are fixed vocabularies, never text."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

CALLS = Counter(
    "denialops_llm_calls_total",
    "Model calls by prompt and outcome (ok, rate_limited, server_error, timeout, connection, rejected, invalid, "
    "circuit_open).",
    ["prompt", "outcome"],
)
RETRIES = Counter("denialops_llm_retries_total", "Model call attempts retried, by reason.", ["reason"])
CALL_SECONDS = Histogram(
    "denialops_llm_call_duration_seconds",
    "Time of one model call, retries included.",
    ["prompt"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 40),
)
IN_FLIGHT = Gauge("denialops_llm_requests_in_flight", "Model requests currently sent and unanswered.")
TOKENS = Counter("denialops_llm_tokens_total", "Tokens used, by kind (prompt, completion).", ["kind"])
COST = Counter("denialops_llm_cost_usd_total", "Estimated cost of the tokens used, in US dollars.")
CIRCUIT_OPEN = Gauge("denialops_llm_circuit_open", "1 while the circuit breaker refuses calls to the model.")
CACHE_HITS = Counter("denialops_llm_cache_hits_total", "Model calls answered from the cache.", ["backend"])
CACHE_MISSES = Counter("denialops_llm_cache_misses_total", "Cacheable model calls not in the cache.", ["backend"])
CACHE_ENTRIES = Gauge("denialops_llm_cache_entries", "Entries in the LLM cache.", ["backend"])
FALLBACKS = Counter(
    "denialops_llm_fallbacks_total",
    "Times the template output was used instead of the model's, by use and reason.",
    ["use", "reason"],
)
