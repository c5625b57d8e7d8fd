"""The bench's own plumbing that runs without services: choosing scenarios, the markdown
report and the rewrite of the docs' results section."""

import pytest

from tests.benchmarks import report
from tests.benchmarks.run import ALL_NAMES, _select

RESULTS = {
    "command": "python -m tests.benchmarks.run --duration 5",
    "started_at": "2026-12-06T15:00:00Z",
    "server_command": "-m gunicorn config.wsgi:application --workers 2",
    "machine": {
        "cores": 2,
        "cpu": "Test CPU",
        "memory_gib": 24.0,
        "load_average_before": [0.1, 0.2, 0.3],
        "commit": "abc1234",
        "versions": {"python": "3.11.7", "postgresql": "15.20"},
    },
    "settings": {"connections": 32, "warmup_s": 2, "duration_s": 5},
    "scenarios": {
        "progress": {
            "title": "POST /api/v1/progress (play/pause pairs)",
            "requests_per_second": 1200.0,
            "latency_ms": {"50": 10.0, "95": 40.0, "99": 80.0},
            "error_rate": 0.0,
            "cpu": {"web workers": 0.6, "database": 0.3, "machine": 0.95},
        },
        "courses": {
            "title": "GET /api/v1/courses (page of 20)",
            "requests_per_second": 400.0,
            "latency_ms": {"50": 50.0, "95": 90.0, "99": 120.0},
            "error_rate": 0.01,
            "cpu": {"web workers": 0.8, "database": 0.1, "machine": 0.97},
        },
        "dashboard": {"title": "GET /api/v1/stats/dashboard", "available": False},
        "pgbench": {
            "title": "pgbench",
            "requests": 30000,
            "duration_s": 5,
            "errors": {"status": 0},
            "latency_ms": {"50": 1.0, "95": 2.0, "99": 3.0},
            "cpu": {"database": 0.7, "load generator": 0.1, "machine": 0.9},
        },
    },
    "query_counts": [
        {
            "endpoint": "GET /api/v1/courses",
            "as": "student",
            "rows_20": 20,
            "rows_100": 100,
            "queries_20": 2,
            "queries_100": 2,
        },
        {"endpoint": "GET /api/v1/stats/dashboard", "as": "staff", "available": False},
    ],
    "jobs": {
        "reset": {"title": "Monthly credit reset", "size": 100000, "seconds": 31.5},
        "import": {"title": "Importing a playlist", "size": 500, "seconds": 0.3},
    },
}


def test_groups_and_names_select_scenarios():
    groups = {"2": ["courses", "course_videos"], "5": ["pgbench"]}
    assert _select("2,progress,5", ALL_NAMES, groups) == [
        "courses",
        "course_videos",
        "progress",
        "pgbench",
    ]
    assert _select("all", ALL_NAMES, groups) == ALL_NAMES
    assert _select("none", ALL_NAMES, groups) == []
    with pytest.raises(SystemExit):
        _select("nonsense", ALL_NAMES, groups)


def test_markdown_checks_every_target():
    text = report.markdown(RESULTS)

    assert "| POST /api/v1/progress (play/pause pairs) | 1,200.0 | 10.0 | 40.0 | 80.0 |" in text
    assert "CPU: web workers" in text
    assert "target 1,000 req/s at p99 under 100 ms: 1,200.0 req/s, p99 80.0 ms, met." in text
    assert "400.0 req/s, p99 120.0 ms, **missed**." in text
    assert "GET /api/v1/stats/dashboard | not available (404)" in text
    assert "GET /api/v1/stats/dashboard: not available, target not checked." in text
    # 1,200 req/s against pgbench's 6,000 transactions per second.
    assert "reference: 20.0% (target 20%: met)" in text
    assert "| `GET /api/v1/courses` | student | 20 / 100 | 2 / 2 | yes |" in text
    assert "| Monthly credit reset | 100,000 | 31.50 | under 30 s: **missed** |" in text
    assert "| Importing a playlist | 500 | 0.30 | - |" in text


def test_the_docs_results_section_is_replaced_between_the_markers(tmp_path):
    docs = tmp_path / "benchmarks.md"
    docs.write_text(
        f"# Benchmarks\n\nBefore.\n\n{report.START}\nold table\n{report.END}\n\nAfter.\n"
    )

    report.update_docs(docs, "new table\n")

    assert docs.read_text() == (
        f"# Benchmarks\n\nBefore.\n\n{report.START}\nnew table\n{report.END}\n\nAfter.\n"
    )


def test_docs_without_markers_are_left_alone(tmp_path):
    docs = tmp_path / "benchmarks.md"
    docs.write_text("# Benchmarks\n")
    with pytest.raises(SystemExit):
        report.update_docs(docs, "table")
    assert docs.read_text() == "# Benchmarks\n"
