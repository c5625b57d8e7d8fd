"""The bench's markdown: results tables with the targets, and the rewrite of the results
section of docs/benchmarks.md (between the START and END markers)."""

from pathlib import Path
from typing import Any

START = "<!-- bench:results:start -->"
END = "<!-- bench:results:end -->"

# (scenario, requests per second at least, p99 ms under)
WEB_TARGETS = {"progress": (1000, 100), "courses": (500, 100), "dashboard": (500, 100)}
PGBENCH_SHARE_TARGET = 0.20
JOB_TARGETS = {"reset": 30.0, "close": 10.0, "ledger": 10.0}


def _number(value: Any, digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return f"{value:,}"


def _limit(cpu: dict[str, float], cores: int) -> str:
    """What bounds a figure: the busiest group when the machine is (nearly) saturated,
    else the latency of the round trips (nobody is busy)."""
    groups = {name: share for name, share in cpu.items() if name != "machine"}
    if not groups:
        return "-"
    busiest = max(groups, key=lambda name: groups[name])
    machine = cpu.get("machine", 0.0)
    described = ", ".join(f"{name} {share * cores:.2f}" for name, share in groups.items())
    verdict = f"CPU: {busiest}" if machine >= 0.85 else "waiting (machine not saturated)"
    return f"{verdict} (cores used: {described}; machine {machine * cores:.2f}/{cores})"


def _verdict(met: bool) -> str:
    return "met" if met else "**missed**"


def markdown(results: dict[str, Any]) -> str:
    machine = results["machine"]
    settings = results["settings"]
    cores = int(machine.get("cores") or 1)
    versions = ", ".join(f"{name} {value}" for name, value in machine["versions"].items())
    lines = [
        f"Measured {results['started_at']} on {machine['cores']} cores ({machine['cpu']}), "
        f"{machine['memory_gib']} GiB, load average before the run "
        f"{' / '.join(str(value) for value in machine['load_average_before'])}; "
        f"commit {machine['commit']}.",
        "",
        f"Versions: {versions}.",
        "",
        f"Command: `{results['command']}`; gunicorn `{results.get('server_command', '-')}`; "
        f"{settings['connections']} connections, {settings['warmup_s']} s warm-up then "
        f"{settings['duration_s']} s per scenario.",
        "",
    ]
    scenarios = results.get("scenarios", {})
    if scenarios:
        lines += [
            "| scenario | req/s | p50 ms | p95 ms | p99 ms | errors | bound by |",
            "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
        ]
        for result in scenarios.values():
            if not result.get("available", True):
                lines.append(f"| {result['title']} | not available (404) | | | | | |")
                continue
            latency = result["latency_ms"]
            rate = result.get("requests_per_second")
            if rate is None:
                rate = round(result["requests"] / result["duration_s"], 1)
                result["requests_per_second"] = rate
            error_rate = result.get("error_rate")
            if error_rate is None:
                requests = result["requests"] or 1
                error_rate = round(result["errors"].get("status", 0) / requests, 4)
            lines.append(
                f"| {result['title']} | {_number(rate)} | {_number(latency.get('50'))} "
                f"| {_number(latency.get('95'))} | {_number(latency.get('99'))} "
                f"| {error_rate:.2%} | {_limit(result.get('cpu', {}), cores)} |"
            )
        lines.append("")
        lines += _targets(results)
    counts = results.get("query_counts")
    if counts:
        lines += [
            "Queries per request (warm caches), page of 20 and page of 100:",
            "",
            "| endpoint | as | rows (20 / 100) | queries (20 / 100) | equal |",
            "| --- | --- | ---: | ---: | --- |",
        ]
        for row in counts:
            if not row.get("available", True):
                lines.append(f"| `{row['endpoint']}` | {row['as']} | not available | | |")
                continue
            equal = "yes" if row["queries_20"] == row["queries_100"] else "**no**"
            lines.append(
                f"| `{row['endpoint']}` | {row['as']} | {row['rows_20']} / {row['rows_100']} "
                f"| {row['queries_20']} / {row['queries_100']} | {equal} |"
            )
        lines.append("")
    jobs = results.get("jobs")
    if jobs:
        lines += ["| bulk job | size | seconds | target |", "| --- | ---: | ---: | --- |"]
        for name, job in jobs.items():
            target = JOB_TARGETS.get(name)
            verdict = (
                f"under {target:.0f} s: {_verdict(job['seconds'] < target)}" if target else "-"
            )
            lines.append(
                f"| {job['title']} | {_number(job['size'])} | {_number(job['seconds'], 2)} "
                f"| {verdict} |"
            )
        lines.append("")
    return "\n".join(lines)


def _targets(results: dict[str, Any]) -> list[str]:
    scenarios = results["scenarios"]
    lines = []
    for name, (rate, p99) in WEB_TARGETS.items():
        result = scenarios.get(name)
        if result is None:
            continue
        if not result.get("available", True):
            lines.append(f"- {result['title']}: not available, target not checked.")
            continue
        measured_p99 = result["latency_ms"].get("99") or 0.0
        met = result["requests_per_second"] >= rate and measured_p99 < p99
        lines.append(
            f"- {result['title']}: target {rate:,} req/s at p99 under {p99} ms: "
            f"{_number(result['requests_per_second'])} req/s, p99 {_number(measured_p99)} ms, "
            f"{_verdict(met)}."
        )
    progress, reference = scenarios.get("progress"), scenarios.get("pgbench")
    if progress and reference and reference.get("requests_per_second"):
        share = progress["requests_per_second"] / reference["requests_per_second"]
        lines.append(
            f"- Progress events as a share of the pgbench reference: {share:.1%} "
            f"(target {PGBENCH_SHARE_TARGET:.0%}: {_verdict(share >= PGBENCH_SHARE_TARGET)})."
        )
    if lines:
        lines.append("")
    return lines


def update_docs(path: Path, section: str) -> None:
    """Replace what stands between the markers with `section`."""
    text = path.read_text()
    if START not in text or END not in text:
        raise SystemExit(f"{path} has no {START} ... {END} section to rewrite")
    head, rest = text.split(START, 1)
    _old, tail = rest.split(END, 1)
    path.write_text(f"{head}{START}\n{section.rstrip()}\n{END}{tail}")
