"""The bench's own arithmetic and report (no timing here: the benchmarks run with `make bench`)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bench import RESULTS_JSON, latency_summary, percentile, ratio
from bench.__main__ import render, with_last_quiet


def test_percentile_is_nearest_rank() -> None:
    samples = [float(i) for i in range(100, 0, -1)]  # 100..1, unsorted on purpose
    assert percentile(samples, 50) == 50.0
    assert percentile(samples, 95) == 95.0
    assert percentile(samples, 99) == 99.0
    assert percentile(samples, 100) == 100.0
    assert percentile(samples, 0) == 1.0
    # Nearest rank picks an observed sample, never an interpolation: with 20 samples p99 is the maximum.
    twenty = [0.01 * i for i in range(1, 21)]
    assert percentile(twenty, 99) == twenty[-1]
    assert percentile(twenty, 95) == twenty[18]
    assert percentile([0.25], 99) == 0.25


def test_percentile_refuses_nonsense() -> None:
    with pytest.raises(ValueError, match="no samples"):
        percentile([], 50)
    with pytest.raises(ValueError, match=r"0\.\.100"):
        percentile([1.0], 101)


def test_latency_summary_in_milliseconds() -> None:
    summary = latency_summary([0.010, 0.020, 0.030, 0.040, 1.5])
    assert summary == {"n": 5, "p50_ms": 30.0, "p95_ms": 1500.0, "p99_ms": 1500.0, "max_ms": 1500.0}
    assert latency_summary([]) == {"n": 0}


def test_ratio() -> None:
    assert ratio(30.0, 20.0) == 1.5
    assert ratio(1.0, 3.0) == 0.33
    assert ratio(5.0, 0.0) is None


def _figures(p50: float, p99: float, *, landed: bool = True, over: int = 0) -> dict[str, Any]:
    return {"requests": 200, "acked": 200, "statuses": {"200": 200}, "p50_ms": p50, "p95_ms": p99, "p99_ms": p99,
            "max_ms": p99, "over_3s": over, "acks_per_s": 100.0, "work_lag_s": 0.5, "landed": landed,
            "unexpected_error_answers": 0}


def _results(*, ours_p99: float, list_landed: bool, import_ratio: float) -> dict[str, Any]:
    bare = {"candidate": _figures(20.0, 40.0), "list": _figures(20.0, 40.0)}
    ours = {"candidate": _figures(30.0, ours_p99, over=1 if ours_p99 >= 3000 else 0),
            "list": _figures(50.0, 80.0, landed=list_landed)}
    worst = {"candidate": round(ours_p99 / 40.0, 2), "list": 2.0}
    return {
        "generated_at": "2026-03-17T12:00:00+00:00", "command": "python -m bench", "total_s": 300.0,
        "machine": {"nproc": 2, "python": "3.11.7", "implementation": "CPython", "platform": "Linux"},
        "git": {"commit": "abc1234", "dirty": False},
        "aggregation": {"missing": "not landed: No module named 'bench.bench_aggregation'"},
        "import": {"rows": 5000, "imported": 5000, "repeats": 3, "file_bytes": 1_000_000, "ours_s": 1.5,
                   "bare_s": round(1.5 / import_ratio, 3), "ratio": import_ratio, "ours_samples_s": [1.5],
                   "bare_samples_s": [0.05], "read_validate_s": 0.6, "write_s": 0.9, "rows_per_s": 3333,
                   "target_ratio": 3.0, "met": import_ratio <= 3.0},
        "ack": {
            "clients": 20, "modes": {"burst": "10 bursts"}, "voters": 8, "voted_candidates": 150,
            "web_concurrency": 2,
            "scales": {"100": {"candidates": 100, "list_work_ms": 40.0, "bare": {"burst": bare},
                               "ours": {"burst": ours},
                               "ratios": {"burst": {c: {"p50": 1.0, "p95": 1.0, "p99": worst[c]} for c in worst}}}},
            "memory": {"100": {"master_peak_mib": 80.0, "worker_peak_mib": [90.0, 91.0], "max_worker_peak_mib": 91.0,
                               "total_peak_mib": 261.0}},
            "landed": {"candidate": True, "list": list_landed},
            "worst_p99_ratio": {"burst": worst},
            "target_p99_ratio": 1.5,
            "met": {"burst": {"candidate": worst["candidate"] <= 1.5, "list": False}},
        },
    }


def test_report_says_plainly_what_is_missed_and_what_was_not_measured() -> None:
    doc = render(_results(ours_p99=3200.0, list_landed=False, import_ratio=28.5))
    assert "| ack p99 `/soap candidate`, ours / bare, burst | 80× (worst of the scales) | ≤ 1.5× | **missed** |" in doc
    assert "| ack p99 `/soap list`, ours / bare, burst | not landed | ≤ 1.5× | not measured |" in doc
    assert "**`/soap list` had not landed**" in doc
    assert "28.5× (1.5 s vs 0.053 s) | none (the ≤ 3× target is retired) | – |" in doc
    assert "**Import against csv + executemany: the ≤ 3× target is retired.**" in doc
    assert "**Aggregation: not measured in this run**" in doc
    assert "1 of 200 `/soap candidate` (burst, 100 candidates)" in doc
    assert "| cores (`nproc`) | 2 |" in doc
    assert "Python | 3.11.7" in doc


def test_report_with_every_target_met_claims_no_miss() -> None:
    results = _results(ours_p99=50.0, list_landed=True, import_ratio=2.5)
    results["ack"]["met"]["burst"]["list"] = True
    results["aggregation"] = {"ours_s": 0.05, "reference_s": 6.0, "n_candidates": 300, "n_ballots": 15,
                              "target_s": 0.3, "met": True, "speedup": 120.0}
    doc = render(results)
    assert "Every target was met in this run." in doc
    assert "**missed**" not in doc
    assert "No acknowledgement took 3 s or more" in doc


def _open_loop(card_ratio_40: float) -> dict[str, Any]:
    def server(ack_p99: float, card_p99: float | None) -> dict[str, Any]:
        figures: dict[str, Any] = {"requests": 320, "acked": 320, "late_sends": 0, "error_answers": 0,
                                   "ack": {"n": 320, "p50_ms": 10.0, "p95_ms": ack_p99, "p99_ms": ack_p99}}
        if card_p99 is not None:
            figures["card"] = {"n": 320, "p50_ms": 5.0, "p95_ms": card_p99, "p99_ms": card_p99}
            figures["cards_posted"] = 320
        return figures

    rate = {"bare": server(15.0, None), "peer": server(15.0, 10.0), "ours": server(18.0, 10.0 * card_ratio_40),
            "ratios": {"card_p99_vs_peer": card_ratio_40, "card_p50_vs_peer": 1.0, "ack_p99_vs_bare": 1.2}}
    return {"backends": {"sqlite": {"rates": {"40": rate}, "candidates": 500, "seconds_per_rate": 8.0},
                         "postgresql": {"missing": "no PostgreSQL server reachable (set BENCH_POSTGRES_URL)"}},
            "targets": {"card_p99_vs_peer": {"40": 2.0}, "ack_p99_vs_bare": {"40": 1.5}},
            "senders": 64, "web_concurrency": 2, "threads": 8}


def test_open_loop_table_names_the_peer_and_judges_each_target() -> None:
    results = _results(ours_p99=50.0, list_landed=True, import_ratio=2.5)
    results["open_loop"] = _open_loop(card_ratio_40=2.5)
    doc = render(results)
    assert "| card in channel p99, ours / peer, 40/s, sqlite | 2.5× | ≤ 2× | **missed** |" in doc
    assert "| ack p99, ours / bare, 40/s, sqlite | 1.2× | ≤ 1.5× | met |" in doc
    assert "| first cards on postgresql | no PostgreSQL server reachable" in doc
    assert "| 40/s | peer | 10.0 | 15.0 | 15.0 | 5.0 | 10.0 | 10.0 | 320/320 | 0 |" in doc
    assert "Every target was met in this run." not in doc
    assert "**First cards against the hand-rolled peer.**" in doc


def test_many_programs_verdict_fails_on_one_duplicate_or_late_reminder() -> None:
    many = {"programs": 50, "members_per_program": 6, "applicants_each": 600, "web_processes": 2,
            "clock_processes": 2, "load_s": 40.0, "rate_per_s": 20.0, "mix": {"card": 400, "vote": 200},
            "requests": 800, "statuses": {"200": 800}, "error_answers": 0, "asked_again_later_answers": 0,
            "ack": {"p50_ms": 12.0, "p99_ms": 40.0}, "cards_asked": 300, "cards_with_thread": 300,
            "double_card_parents": 0, "votes_sent": 200, "votes_stored": 200, "votes_stored_twice": 0,
            "notes_sent": 120, "notes_stored_once": 120, "notes_stored_twice": 0, "notes_posted_once": 120,
            "notes_posted_twice": 0, "reminders_due": 100, "reminder_states": {"sent": 100}, "reminders_posted": 100,
            "reminder_delay_s": {"min": 0.2, "p50": 1.0, "max": 3.0}, "reminders_on_time": 100,
            "tracebacks_in_logs": 0}
    results = _results(ours_p99=50.0, list_landed=True, import_ratio=2.5)
    results["many_programs"] = many
    assert "0 errors, 0 duplicates, 100 of 100 reminders within 10 s | 0, 0, all | met |" in render(results)
    results["many_programs"] = {**many, "double_card_parents": 1, "reminders_on_time": 99}
    assert "0 errors, 1 duplicates, 99 of 100 reminders within 10 s | 0, 0, all | **missed** |" in render(results)


def _loads(results: dict[str, Any], **by_part: tuple[float, float]) -> dict[str, Any]:
    for part, (before, after) in by_part.items():
        results[part]["load"] = {"before": before, "after": after}
    return results


def test_a_busy_machine_marks_the_run_noisy_and_keeps_the_last_quiet_runs_figures_beside_it() -> None:
    quiet = with_last_quiet(_loads(_results(ours_p99=50.0, list_landed=True, import_ratio=2.5),
                                   aggregation=(0.2, 0.3), **{"import": (0.3, 0.6)}, ack=(0.6, 1.4)), None)
    assert not quiet["noisy"] and "last_quiet" not in quiet
    assert "**A quiet run**" in render(quiet)

    busy = _results(ours_p99=3200.0, list_landed=True, import_ratio=2.5)
    busy["git"]["commit"] = "def5678"
    noisy = with_last_quiet(_loads(busy, aggregation=(0.2, 0.3), **{"import": (0.3, 0.6)}, ack=(0.9, 3.2)), quiet)
    assert noisy["noisy_parts"] == ["acknowledgement latency"]
    doc = render(noisy)
    assert "**A noisy run**" in doc and "busy (1-minute load average above 1.5) during: acknowledgement latency" in doc
    assert "| figure | measured | target | verdict | last quiet run (abc1234) |" in doc
    assert ("| ack p99 `/soap candidate`, ours / bare, burst | 80× (worst of the scales) | ≤ 1.5× | **missed** "
            "| 1.25× (worst of the scales) |") in doc
    assert "## The last quiet run (commit abc1234, 2026-03-17T12:00:00+00:00)" in doc
    assert "| acknowledgement latency | 0.9 | 3.2 | noisy |" in doc
    assert "| import | 0.3 | 0.6 | quiet |" in doc

    # A second noisy run still shows the same quiet one; a run with no load figures is not called quiet.
    again = with_last_quiet(_loads(_results(ours_p99=900.0, list_landed=True, import_ratio=2.5), ack=(4.0, 5.0)),
                            noisy)
    assert again["last_quiet"]["git"]["commit"] == "abc1234"
    assert with_last_quiet(_results(ours_p99=50.0, list_landed=True, import_ratio=2.5), None)["noisy"]


def test_the_recorded_results_render_with_their_load_marking() -> None:
    """bench/results.json as `make bench` last wrote it renders (older runs recorded the load for the
    whole run only: each part is judged by it)."""
    recorded = json.loads(RESULTS_JSON.read_text(encoding="utf-8"))
    marked = with_last_quiet(recorded, None)
    doc = render(marked)
    assert ("**A quiet run**" in doc) != marked["noisy"]
    assert "| part | before | after | |" in doc


def test_a_run_records_the_load_before_and_after_each_part(monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    """`make bench`'s driver, every part stubbed out: each part carries its load figures and the run says
    whether it was quiet."""
    import bench.__main__ as driver

    def not_here() -> dict[str, Any]:
        raise ImportError("stubbed out")

    class NoPool:
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            raise ImportError("stubbed out")

    loads = iter([0.4, 0.5, 0.6, 0.7, 0.8, 2.5, 0.9, 1.0, 1.1, 1.2, 1.3, 1.4])
    monkeypatch.setattr(driver, "aggregation", not_here)
    monkeypatch.setattr(driver, "import_speed", not_here)
    monkeypatch.setattr(driver, "ProcessPoolExecutor", NoPool)
    monkeypatch.setattr(driver, "_load", lambda: next(loads))
    assert driver.main(["--no-write", "--scales", "100"]) == 0
    out = capsys.readouterr().out
    results = json.loads(out[out.index("\n{") + 1:])
    assert results["aggregation"]["load"] == {"before": 0.5, "after": 0.6}
    assert results["ack"]["load"] == {"before": 2.5, "after": 0.9}
    assert results["noisy_parts"] == ["acknowledgement latency"] and "a noisy run" in out
