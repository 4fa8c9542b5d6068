"""Metrics of the LLM path (`denialops_llm_`), through the checked declarations. Labels are fixed
vocabularies, never text. Exported by every service that talks to the model (intake, llm-worker)."""

from __future__ import annotations

from denialops_shared.metrics import counter, gauge, histogram

CALLS = counter(
    "denialops_llm_calls_total",
    "Model calls by prompt and outcome (ok, rate_limited, server_error, timeout, connection, rejected, invalid, "
    "circuit_open, cancelled).",
    ["prompt", "outcome"],
)
RETRIES = counter("denialops_llm_retries_total", "Model call attempts retried, by reason.", ["reason"])
CALL_SECONDS = histogram(
    "denialops_llm_call_duration_seconds",
    "Time of one model call, retries included (a stream: until its last token).",
    ["prompt"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 40),
)
IN_FLIGHT = gauge("denialops_llm_requests_in_flight", "Model requests currently sent and unanswered.")
TOKENS = counter("denialops_llm_tokens_total", "Tokens used, by kind (prompt, completion).", ["kind"])
COST = counter("denialops_llm_cost_usd_total", "Estimated cost of the tokens used, in US dollars.", unit="usd")
CIRCUIT_OPEN = gauge("denialops_llm_circuit_open", "1 while the circuit breaker refuses calls to the model.")
CACHE_HITS = counter("denialops_llm_cache_hits_total", "Model calls answered from the cache.", ["backend"])
CACHE_MISSES = counter("denialops_llm_cache_misses_total", "Cacheable model calls not in the cache.", ["backend"])
CACHE_ERRORS = counter(
    "denialops_llm_cache_errors_total",
    "Cache reads and writes that failed (the backend is down or slow): the call went to the model uncached.",
    ["backend", "operation"],
)
CACHE_ENTRIES = gauge("denialops_llm_cache_entries", "Entries in the LLM cache.", ["backend"])
FALLBACKS = counter(
    "denialops_llm_fallbacks_total",
    "Times the template output was used instead of the model's, by use and reason.",
    ["use", "reason"],
)
