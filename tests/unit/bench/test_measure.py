"""The stack benchmark's pure helpers: percentiles, load windows, /proc parsing."""

from __future__ import annotations

import math
import os

import pytest

from bench.measure import (
    Sample,
    Sink,
    cpu_seconds,
    cpu_ticks,
    database_name,
    latency_ms,
    memory_kb,
    mongo_commands,
    open_loop_rate,
    open_loop_summary,
    per_case_totals,
    per_service,
    percentile,
    service_of,
    status_kb,
    window_summary,
)


def test_percentile_interpolates_between_ranks() -> None:
    values = [4.0, 1.0, 3.0, 2.0]
    assert percentile(values, 0) == 1.0
    assert percentile(values, 50) == 2.5
    assert percentile(values, 100) == 4.0
    assert percentile(list(range(1, 101)), 99) == pytest.approx(99.01)
    assert percentile([], 50) is None
    with pytest.raises(ValueError, match="between 0 and 100"):
        percentile(values, 101)


def test_an_unfinished_case_makes_the_tail_infinite() -> None:
    assert percentile([1.0, math.inf], 99) == math.inf
    assert latency_ms([0.1] * 99 + [math.inf])["p99_ms"] is None
    assert latency_ms([0.1, 0.2])["p50_ms"] == 150.0


def test_window_counts_the_cases_that_ended_in_it() -> None:
    samples = [
        Sample(0.0, 1.0, "ok"),  # ended before the window
        Sample(1.0, 3.0, "ok"),
        Sample(2.0, 4.0, "failed", "upload: http 503"),
        Sample(2.5, 5.0, "timeout", "TimeoutError"),
        Sample(5.0, 7.0, "ok"),
        Sample(6.0, 12.0, "ok"),  # ended after the window
    ]
    summary = window_summary(samples, 2.0, 10.0)
    assert summary["completed"] == 2
    assert summary["cases_per_s"] == 0.25
    assert (summary["failed"], summary["timed_out"]) == (1, 1)
    assert summary["p50_ms"] == 2000.0
    assert summary["failure_reasons"] == {"upload: http 503": 1, "TimeoutError": 1}


def test_open_loop_counts_every_arrival() -> None:
    samples = [Sample(i / 20, i / 20 + 0.5, "ok") for i in range(199)] + [Sample(9.95, 40.0, "timeout")]
    summary = open_loop_summary(samples, 20, 10)
    assert (summary["arrivals"], summary["completed"], summary["timed_out"]) == (200, 199, 1)
    assert summary["p50_ms"] == 500.0
    assert summary["p99_ms"] == 500.0  # 0.5% unfinished: the p99 still lands on finished cases
    assert summary["max_ms"] is None
    assert open_loop_summary(samples[-100:], 20, 5)["p99_ms"] is None  # 1% unfinished: the p99 is not finite
    assert open_loop_summary([Sample(0, 30, "timeout")], 10, 1)["achieved_per_s"] == 0.0


def test_cpu_ticks_read_after_the_command_name() -> None:
    # The command name may contain spaces and parentheses.
    stat = "1234 (python (x) y) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 70 0 0 20 0 4 0 100 1000 50"
    assert cpu_ticks(stat) == 320


def test_status_values_in_kb() -> None:
    status = "Name:\tpython\nVmHWM:\t  123456 kB\nVmRSS:\t   65432 kB\n"
    assert status_kb(status, "VmHWM") == 123456
    assert status_kb(status, "VmRSS") == 65432
    assert status_kb(status, "VmSwap") is None


def test_this_process_can_be_measured() -> None:
    assert (cpu_seconds(os.getpid()) or 0) > 0
    assert (memory_kb(os.getpid())["rss_kb"] or 0) > 0


def test_replicas_add_up_per_service() -> None:
    assert service_of("router-2") == "router"
    assert service_of("llm-worker") == "llm-worker"
    assert service_of("llm-worker-3") == "llm-worker"
    assert per_service({"router": 1.0, "router-2": 0.5, "kafka": 2.0}) == {"router": 1.5, "kafka": 2.0}


def test_mongo_commands_are_read_by_command_and_collection_from_a_metrics_page() -> None:
    page = "\n".join(
        [
            "# HELP denialops_mongo_commands_total Database commands sent, by command and collection.",
            "# TYPE denialops_mongo_commands_total counter",
            'denialops_mongo_commands_total{collection="cases",command="find"} 12.0',
            'denialops_mongo_commands_total{collection="runs",command="update"} 3.0',
            'denialops_mongo_commands_created{collection="cases",command="find"} 1.7e9',
            "# TYPE denialops_http_requests_total counter",
            'denialops_http_requests_total{method="GET",route="/x",status="200"} 99.0',
            "",
        ]
    )
    assert mongo_commands(page) == {("find", "cases"): 12, ("update", "runs"): 3}


def test_the_open_loop_offers_80_percent_of_the_closed_loop_capacity_unless_forced() -> None:
    assert open_loop_rate(None, 18.3) == 14.64
    assert open_loop_rate(None, 18.3, share=0.5) == 9.15
    assert open_loop_rate(25.0, 18.3) == 25.0  # --open-rate wins, even above capacity
    assert open_loop_rate(None, None) is None  # no closed loop measured: nothing to offer
    assert open_loop_rate(None, 0.0) is None
    with pytest.raises(ValueError, match="positive"):
        open_loop_rate(0.0, 18.3)


def test_per_case_totals_add_every_server_process_and_the_database_commands() -> None:
    cpu = {"intake": 2.0, "router": 0.5, "router-2": 0.5, "llm-worker": 1.0, "health": 0.1, "kafka": 0.6}
    cpu |= {"ferretdb": 2.4, "redis": 0.0}
    totals = per_case_totals(cpu, db_commands=3400, cases=100, services=("intake", "router", "llm-worker"))
    assert totals == {
        "cpu_ms_per_case_total": 71.0,
        "cpu_ms_per_case_services": 40.0,  # intake + both routers + llm-worker
        "db_commands_per_case_total": 34.0,
    }
    with_client = per_case_totals(cpu, 3400, 100, ("intake",), client_cpu_s=0.15)
    assert with_client["cpu_ms_per_case_client"] == 1.5
    assert with_client["cpu_ms_per_case_services"] == 20.0


def test_per_case_totals_without_a_finished_case_are_none_with_the_same_keys() -> None:
    assert per_case_totals({"intake": 1.0}, 10, 0, ("intake",), client_cpu_s=0.1) == {
        "cpu_ms_per_case_total": None,
        "cpu_ms_per_case_services": None,
        "db_commands_per_case_total": None,
        "cpu_ms_per_case_client": None,
    }


def test_the_database_name_comes_from_the_infra_environment() -> None:
    assert database_name({}) == "ferretdb"
    assert database_name({"DENIALOPS_DATABASE": " "}) == "ferretdb"
    assert database_name({"DENIALOPS_DATABASE": "secantusdb"}) == "secantusdb"


async def test_the_sink_says_when_every_client_went_round_once() -> None:
    sink = Sink(went_round_at=2)
    sink.add(Sample(0.0, 1.0, "ok"))
    assert not sink.went_round.is_set()
    sink.add(Sample(0.5, 1.5, "failed", "create: http 503"))
    assert sink.went_round.is_set()
    assert [s.outcome for s in sink.samples] == ["ok", "failed"]
