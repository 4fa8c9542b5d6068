"""The stack benchmark's report: per-case totals of a window, the open loop's keys, the table."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from bench.stack_bench import (
    Options,
    Probe,
    Run,
    Window,
    per_case,
    plan_open_loop,
    record_open_loop,
    server_names,
    service_report,
    table,
    window_totals,
)


def test_a_window_reports_all_server_processes_the_client_and_the_database_commands_per_case() -> None:
    window = Window(
        cpu={"intake": 1.0, "router": 0.4, "llm-worker": 0.6, "health": 0.02, "kafka": 0.3, "ferretdb": 1.68},
        client_cpu=0.05,
        driver_cpu=0.2,
        cases=50,
        db_commands=Counter({("intake", "find", "runs"): 1000, ("router", "update", "cases"): 700}),
    )
    assert window_totals(window) == {
        "cpu_ms_per_case_total": 80.0,
        "cpu_ms_per_case_services": 40.0,
        "db_commands_per_case_total": 34.0,
        "cpu_ms_per_case_client": 1.0,
    }
    by_process = per_case(window)
    assert by_process["bench-client"] == 0.001
    assert by_process["bench-driver"] == 0.004  # the load is a process of its own: this one apart
    assert "bench-driver" not in per_case(Window(cpu={"intake": 1.0}, client_cpu=0.1, cases=10))


def test_the_open_loop_keeps_its_keys_at_the_rate_it_chose() -> None:
    http: dict[str, Any] = {"cases_per_s": 20.0}
    plan_open_loop(http, None)
    assert http["open_loop_offered_per_s"] == 16.0
    assert http["open_loop_rate_from"] == "80% of the best closed-loop level"
    assert http["p99_ms_at_16"] is None
    assert http["achieved_per_s_at_16"] is None
    assert (http["open_loop_achieved_per_s"], http["open_loop_p50_ms"], http["open_loop_p99_ms"]) == (None,) * 3

    record_open_loop(http, {"offered_per_s": 16.0, "achieved_per_s": 15.9, "p50_ms": 310.0, "p99_ms": 820.0})
    assert http["p99_ms_at_16"] == 820.0
    assert http["achieved_per_s_at_16"] == 15.9
    assert (http["open_loop_achieved_per_s"], http["open_loop_p50_ms"], http["open_loop_p99_ms"]) == (15.9, 310, 820)
    assert http["open_loop"]["offered_per_s"] == 16.0


def test_a_forced_rate_names_its_keys_and_no_capacity_means_no_open_loop() -> None:
    forced: dict[str, Any] = {"cases_per_s": 20.0}
    plan_open_loop(forced, 100.0)
    assert forced["open_loop_offered_per_s"] == 100.0
    assert forced["open_loop_rate_from"] == "--open-rate"
    assert "p99_ms_at_100" in forced
    assert "achieved_per_s_at_100" in forced

    unmeasured: dict[str, Any] = {}
    plan_open_loop(unmeasured, None)
    assert unmeasured["open_loop_offered_per_s"] is None
    assert not any(key.startswith("p99_ms_at_") for key in unmeasured)


def _level(cases_per_s: float) -> dict[str, Any]:
    return {
        "concurrency": 16,
        "cases_per_s": cases_per_s,
        "p50_ms": 800.0,
        "p95_ms": 1200.0,
        "p99_ms": 1500.0,
        "completed": 100,
        "all_cases": {"ok": 110, "failed": 0, "timeout": 0, "reasons": {}},
        "cpu_ms_per_case_total": 83.4,
        "cpu_ms_per_case_services": 44.3,
        "cpu_ms_per_case_client": 1.2,
        "db_commands_per_case_total": 34.1,
    }


def test_the_table_prints_the_database_and_the_cost_per_case_beside_throughput() -> None:
    names = server_names("ferretdb")
    assert names == ("intake", "router", "llm-worker", "health", "kafka", "ferretdb")
    service = {
        "cpu_s_per_case": 0.01,
        "cpu_s_per_case_http": 0.01,
        "cpu_s_per_case_kafka": 0.01,
        "idle_rss_mb": 100.0,
        "peak_rss_mb": 110.0,
    }
    results: dict[str, Any] = {
        "meta": {"quick": True, "cpus": 2, "load_at_start": 0.1, "database": "ferretdb", "total_s": 120.0},
        "http": {"by_concurrency": {"16": _level(18.3)}, "cases_per_s": 18.3},
        "kafka": {
            **_level(25.4),
            "in_flight": 16,
            "cpu_ms_per_case_total": 62.1,
            "cpu_ms_per_case_client": 5.3,
        },
        "services": {
            **{name: dict(service) for name in names},
            "db_commands_per_case": {},
            "db_commands_per_case_kafka": {"router findAndModify cases": 2.0, "intake insert cases": 1.0},
        },
    }
    plan_open_loop(results["http"], None)
    text = table(results)
    assert "database ferretdb" in text
    assert "   83.4    44.3     1.2     34.1" in text  # the HTTP level's row
    assert "all server processes 62.1" in text
    assert "open loop" not in text  # it did not run
    assert "database commands per case, Kafka ingress: router findAndModify cases 2; intake insert cases 1" in text


def test_database_commands_per_case_are_reported_per_service_for_each_ingress_apart() -> None:
    run = Run(options=Options.parse(["--quick"]), deadline=0.0)
    run.windows["http"] = [Window(cases=10, db_commands=Counter({("intake", "find", "cases"): 30}))]
    run.windows["kafka"] = [
        Window(
            cases=20, db_commands=Counter({("intake", "insert", "cases"): 20, ("router", "findAndModify", "cases"): 40})
        )
    ]
    report = service_report(run, Probe(Path("/nonexistent"), {}), {}, ("intake", "router"))
    assert report["intake"]["db_commands_per_case"] == 1.7  # (30 + 20) commands over 30 cases
    assert (report["intake"]["db_commands_per_case_http"], report["intake"]["db_commands_per_case_kafka"]) == (3.0, 1.0)
    assert (report["router"]["db_commands_per_case_http"], report["router"]["db_commands_per_case_kafka"]) == (0, 2.0)
    assert report["db_commands_per_case_kafka"] == {"router findAndModify cases": 2.0, "intake insert cases": 1.0}
    assert report["db_commands_per_case_http"] == {"intake find cases": 3.0}
