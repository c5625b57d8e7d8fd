"""`make bench`: throughput and latency of the hot endpoints under gunicorn on PostgreSQL
and Redis, the pgbench reference, timed bulk jobs and a query-count table.

    python -m tests.benchmarks.run [--duration 30] [--scenarios progress,courses,...]

Steps: make sure PostgreSQL, Redis, wrk and pgbench are there (starting or installing them
like .ci/run); build the data set once into a seed database (kept while its fingerprint
matches) and clone it into the run database; start gunicorn (production settings,
WEB_CONCURRENCY sync workers, default 2 x cores + 1); run each scenario with wrk for a warm-up and
then `--duration` seconds; run pgbench with the progress event's upsert over the same number
of connections; count queries in-process; time the bulk jobs in a scratch database; write
var/bench/results.json and results.md (and, with --update-docs, the results section of
docs/benchmarks.md). Everything it started is stopped at the end."""

import argparse
import contextlib
import json
import os
import random
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tests.benchmarks import dataset, report
from tests.benchmarks.environment import (
    PYTHON,
    ROOT,
    CpuMeter,
    Database,
    Server,
    bench_environment,
    bench_settings,
    children,
    ensure_pgbench,
    ensure_postgres,
    ensure_redis,
    ensure_wrk,
    log,
    machine,
    manage,
)

HERE = Path(__file__).resolve().parent
OUT = ROOT / "var" / "bench"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/lectern_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/5"


@dataclass(frozen=True)
class Scenario:
    name: str
    group: int
    title: str
    script: str
    rows: Callable[["Context"], list[list[str]]]
    optional: bool = False
    max_connections: int | None = None
    sequence: Callable[["Context"], list[list[str]]] | None = None

    def requests(self, context: "Context") -> list[list[str]]:
        """The scenario as plain requests (token, method, path, body) that are valid when
        sent one after the other: for the probe and for in-process profiling."""
        return (self.sequence or self.rows)(context)


@dataclass
class Context:
    """What scenarios need from the run database: tokens and ids."""

    student_tokens: dict[int, str]
    admin_token: str
    enrollments: dict[int, list[int]]
    videos: dict[int, list[int]]
    answered: list[tuple[int, int]]
    emails: list[str]


# --- scenarios ----------------------------------------------------------------------------


def _progress_rows(context: Context) -> list[list[str]]:
    """Three (student, video) pairs per student, in a shuffled order so that consecutive
    events come from different students."""
    rng = random.Random(7)
    rows = []
    for user_id, courses in context.enrollments.items():
        token = context.student_tokens[user_id]
        for course_id in rng.sample(courses, 3):
            rows.append([token, str(rng.choice(context.videos[course_id]))])
    rng.shuffle(rows)
    return rows


def _progress_sequence(context: Context, lag: int = 500) -> list[list[str]]:
    """Each pair's play, and its pause `lag` requests later."""
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    pairs = _progress_rows(context)
    requests = []
    for index, (token, video_id) in enumerate(pairs):
        play = {"video_id": int(video_id), "start_time": now}
        requests.append([token, "POST", "/api/v1/progress", json.dumps(play)])
        if index >= lag:
            token, video_id = pairs[index - lag]
            pause = {"video_id": int(video_id), "end_time": now, "watchtime_seconds": 2}
            requests.append([token, "POST", "/api/v1/progress", json.dumps(pause)])
    return requests


def _students(context: Context, count: int = 2000) -> list[int]:
    return sorted(context.student_tokens)[:count]


def _course_list_rows(context: Context) -> list[list[str]]:
    return [
        [context.student_tokens[user_id], "GET", "/api/v1/courses", ""]
        for user_id in _students(context)
    ]


def _course_video_rows(context: Context) -> list[list[str]]:
    return [
        [
            context.student_tokens[user_id],
            "GET",
            f"/api/v1/courses/{context.enrollments[user_id][0]}/videos",
            "",
        ]
        for user_id in _students(context)
    ]


def _dashboard_rows(context: Context) -> list[list[str]]:
    return [[context.admin_token, "GET", "/api/v1/stats/dashboard", ""]]


def _assessment_rows(context: Context) -> list[list[str]]:
    return [
        [
            context.student_tokens[user_id],
            "GET",
            f"/api/v1/courses/{course_id}/assessment-videos",
            "",
        ]
        for user_id, course_id in context.answered[:2000]
    ]


def _login_rows(context: Context) -> list[list[str]]:
    return [
        [
            "-",
            "POST",
            "/api/v1/auth/login",
            json.dumps({"login": email, "password": dataset.PASSWORD}),
        ]
        for email in context.emails[:500]
    ]


def _health_rows(context: Context) -> list[list[str]]:
    return [["-", "GET", "/health", ""]]


def _me_rows(context: Context) -> list[list[str]]:
    return [
        [context.student_tokens[user_id], "GET", "/api/v1/auth/me", ""]
        for user_id in _students(context)
    ]


SCENARIOS = [
    Scenario("health", 0, "GET /health (floor: Django alone)", "requests.lua", _health_rows),
    Scenario("me", 0, "GET /api/v1/auth/me (floor: DRF and token auth)", "requests.lua", _me_rows),
    Scenario(
        "progress",
        1,
        "POST /api/v1/progress (play/pause pairs)",
        "progress.lua",
        _progress_rows,
        sequence=_progress_sequence,
    ),
    Scenario("courses", 2, "GET /api/v1/courses (page of 20)", "requests.lua", _course_list_rows),
    Scenario(
        "course_videos",
        2,
        "GET /api/v1/courses/{id}/videos (page of 20)",
        "requests.lua",
        _course_video_rows,
    ),
    Scenario(
        "dashboard",
        3,
        "GET /api/v1/stats/dashboard",
        "requests.lua",
        _dashboard_rows,
        optional=True,
    ),
    Scenario(
        "assessment_videos",
        3,
        "GET /api/v1/courses/{id}/assessment-videos",
        "requests.lua",
        _assessment_rows,
    ),
    # Password hashing (PBKDF2) makes each login cost a CPU-bound fraction of a second by
    # design; more connections than cores would only queue them.
    Scenario("login", 4, "POST /api/v1/auth/login", "requests.lua", _login_rows, max_connections=4),
]
PGBENCH = "pgbench"
ALL_NAMES = [scenario.name for scenario in SCENARIOS] + [PGBENCH]
JOBS = ["reset", "close", "import", "recommendations", "ledger"]


def _select(value: str, known: list[str], groups: dict[str, list[str]]) -> list[str]:
    if value in ("all", ""):
        return list(known)
    if value == "none":
        return []
    chosen: list[str] = []
    for part in value.split(","):
        names = groups.get(part.strip(), [part.strip()])
        for name in names:
            if name not in known:
                raise SystemExit(f"unknown name {name!r}; choose from {', '.join(known)}")
            if name not in chosen:
                chosen.append(name)
    return chosen


# --- processes ----------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def gunicorn(
    env: dict, *, workers: int, threads: int, worker_class: str, log_path: Path
) -> Iterator[Any]:
    port = _free_port()
    command = [
        PYTHON,
        "-m",
        "gunicorn",
        "config.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        worker_class,
        "--threads",
        str(threads),
        "--backlog",
        "2048",
        "--keep-alive",
        "30",
        "--log-level",
        "warning",
    ]
    log(f"starting gunicorn: {workers} {worker_class} workers x {threads} threads, port {port}")
    with open(log_path, "w") as log_file:
        process = subprocess.Popen(
            command, env=env, cwd=ROOT, stdout=log_file, stderr=subprocess.STDOUT
        )
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(120):
                if process.poll() is not None:
                    raise SystemExit(f"gunicorn exited; see {log_path}")
                with (
                    contextlib.suppress(OSError),
                    urllib.request.urlopen(f"{base}/health", timeout=2) as answer,
                ):
                    if answer.status == 200:
                        break
                time.sleep(0.5)
            else:
                raise SystemExit(f"gunicorn did not answer /health; see {log_path}")
            process.base_url = base  # type: ignore[attr-defined]
            process.command = command  # type: ignore[attr-defined]
            yield process
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _probe(base_url: str, row: list[str]) -> int:
    token, method, path, body = [*row, "", "", "", ""][:4]
    headers = {"X-Forwarded-Proto": "https", "Content-Type": "application/json"}
    if token not in ("", "-"):
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(
        base_url + path, data=body.encode() if body else None, headers=headers, method=method
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def run_wrk(
    *,
    wrk: str,
    base_url: str,
    scenario: Scenario,
    rows: list[list[str]],
    seconds: int,
    connections: int,
    threads: int,
    groups: dict[str, Callable[[], set[int]]],
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-") as scratch:
        data = Path(scratch) / "rows.tsv"
        data.write_text("\n".join("\t".join(row) for row in rows) + "\n")
        out = Path(scratch) / "out.json"
        env = {
            **os.environ,
            "BENCH_DATA": str(data),
            "BENCH_OUT": str(out),
            "BENCH_THREADS": str(threads),
            "BENCH_LUA_DIR": str(HERE / "wrk"),
        }
        command = [
            wrk,
            "-t",
            str(threads),
            "-c",
            str(connections),
            "-d",
            f"{seconds}s",
            "--timeout",
            "10s",
            "-s",
            str(HERE / "wrk" / scenario.script),
            base_url,
        ]
        process = subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        meter_groups = {**groups, "load generator": lambda: {process.pid}}
        with CpuMeter(meter_groups) as meter:
            output, _ = process.communicate()
        if process.returncode != 0 or not out.exists():
            raise SystemExit(f"wrk failed for {scenario.name}:\n{output}")
        result = json.loads(out.read_text())
    result["cpu"] = meter.shares()
    result["command"] = " ".join(shlex.quote(part) for part in command)
    return result


def run_pgbench(
    *,
    pgbench: str,
    database: Database,
    seconds: int,
    connections: int,
    first_user: int,
    last_user: int,
    groups: dict[str, Callable[[], set[int]]],
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-pgbench-") as scratch:
        command = [
            pgbench,
            "-h",
            database.host,
            "-p",
            str(database.port),
            "-U",
            database.user,
            "-n",
            "-M",
            "simple",
            "-c",
            str(connections),
            "-j",
            "1",
            "-T",
            str(seconds),
            "-D",
            f"first_user={first_user}",
            "-D",
            f"last_user={last_user}",
            "-f",
            str(HERE / "upsert.sql"),
            "-l",
            "--log-prefix",
            f"{scratch}/tx",
            database.name,
        ]
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=scratch
        )
        with CpuMeter({**groups, "load generator": lambda: {process.pid}}) as meter:
            output, _ = process.communicate()
        if process.returncode != 0:
            raise SystemExit(f"pgbench failed:\n{output}")
        latencies: list[int] = []
        failed = 0
        for path in Path(scratch).glob("tx*"):
            for line in path.read_text().splitlines():
                parts = line.split()
                if len(parts) < 3:
                    continue
                if parts[2] in ("failed", "skipped"):
                    failed += 1
                else:
                    latencies.append(int(parts[2]))
    latencies.sort()
    count = len(latencies)

    def percentile(share: float) -> float | None:
        if not count:
            return None
        return round(latencies[min(count - 1, int(share * count))] / 1000, 3)

    return {
        "requests": count + failed,
        "duration_s": seconds,
        "errors": {"status": failed},
        "latency_ms": {
            "mean": round(sum(latencies) / count / 1000, 3) if count else None,
            "50": percentile(0.50),
            "95": percentile(0.95),
            "99": percentile(0.99),
            "max": round(latencies[-1] / 1000, 3) if count else None,
        },
        "cpu": meter.shares(),
        "command": " ".join(shlex.quote(part) for part in command),
        "summary": [line for line in output.splitlines() if "tps" in line or "latency" in line],
    }


# --- the databases --------------------------------------------------------------------------


def prepare_databases(
    *, server: Server, database: Database, redis_url: str, rebuild: bool
) -> dict[str, Any]:
    """A migrated empty template (kept while the migrations are the same), a seed database
    holding the data set (kept while its fingerprint matches), and the run database, a fresh
    copy of the seed for every run."""
    template = f"{database.name}_template"
    seed = f"{database.name}_seed"
    info: dict[str, Any] = {}
    schema_print = dataset.migrations_fingerprint()
    if rebuild or not server.exists(template) or server.comment(template) != schema_print:
        log(f"migrating an empty database {template}")
        started = time.perf_counter()
        server.create(template)
        env = bench_environment(database_url=database.sibling(template).url, redis_url=redis_url)
        manage(env, "migrate", "--noinput", "-v", "0")
        server.set_comment(template, schema_print)
        info["migrate_seconds"] = round(time.perf_counter() - started, 1)
    data_print = dataset.fingerprint(dataset.Sizes())
    if rebuild or not server.exists(seed) or server.comment(seed) != data_print:
        log(f"loading the data set into {seed} (fingerprint {data_print})")
        server.create(seed, template=template)
        env = bench_environment(database_url=database.sibling(seed).url, redis_url=redis_url)
        output = subprocess.run(
            [PYTHON, "-m", "tests.benchmarks.dataset"],
            env=env,
            cwd=ROOT,
            check=True,
            stdout=subprocess.PIPE,
            text=True,
        ).stdout
        info["load"] = json.loads(output)
        server.set_comment(seed, data_print)
        log(f"data set loaded in {info['load']['seconds']}s")
    else:
        info["load"] = "cached"
    started = time.perf_counter()
    server.create(database.name, template=seed)
    info["clone_seconds"] = round(time.perf_counter() - started, 1)
    info["fingerprint"] = data_print
    info["sizes"] = dataset.Sizes().__dict__
    return info


def flush_redis(redis_url: str) -> None:
    parts = urlsplit(redis_url)
    number = parts.path.lstrip("/") or "0"
    subprocess.run(
        [
            "redis-cli",
            "-h",
            parts.hostname or "127.0.0.1",
            "-p",
            str(parts.port or 6379),
            "-n",
            number,
            "FLUSHDB",
        ],
        check=True,
        capture_output=True,
    )


def load_context() -> Context:
    """Tokens for every student and the admin, minted in-process with the bench's key."""
    from rest_framework_simplejwt.tokens import AccessToken

    from accounts.models import User
    from accounts.tokens import TOKEN_VERSION_CLAIM
    from courses.models import Enrollment, StudentAnswer
    from videos.models import Video

    def token(user: User) -> str:
        access = AccessToken.for_user(user)
        access[TOKEN_VERSION_CLAIM] = user.token_version
        access["role"] = user.role
        return str(access)

    students = list(
        User.objects.filter(role="student", is_active=True).only(
            "id", "token_version", "role", "email"
        )
    )
    admin = User.objects.filter(is_staff=True).order_by("id").first()
    assert admin is not None, "the data set has no admin"
    enrollments: dict[int, list[int]] = {}
    for user_id, course_id in Enrollment.objects.filter(status="active").values_list(
        "user_id", "course_id"
    ):
        enrollments.setdefault(user_id, []).append(course_id)
    videos: dict[int, list[int]] = {}
    for video_id, course_id in Video.objects.filter(is_available=True).values_list(
        "id", "course_id"
    ):
        videos.setdefault(course_id, []).append(video_id)
    answered = list(
        StudentAnswer.objects.filter(is_correct=False)
        .values_list("student_id", "question__quiz__course_id")
        .distinct()
        .order_by("student_id", "question__quiz__course_id")
    )
    return Context(
        student_tokens={user.pk: token(user) for user in students},
        admin_token=token(admin),
        enrollments={key: value for key, value in enrollments.items() if len(value) >= 3},
        videos=videos,
        answered=answered,
        emails=[user.email for user in students],
    )


# --- main -------------------------------------------------------------------------------------


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tests.benchmarks.run", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--duration", type=int, default=30, help="Seconds per scenario.")
    parser.add_argument("--warmup", type=int, default=3, help="Warm-up seconds per scenario.")
    parser.add_argument(
        "--scenarios",
        default="all",
        help="Comma-separated names or groups 0-5 (0: the floors), or none "
        f"(names: {', '.join(ALL_NAMES)}).",
    )
    parser.add_argument(
        "--jobs", default="all", help=f"Bulk jobs to time, or none ({', '.join(JOBS)})."
    )
    parser.add_argument("--no-query-counts", action="store_true")
    parser.add_argument(
        "--no-rate-limit",
        action="store_true",
        help="Turn the rate limiter off (by default it runs, with limits no run reaches).",
    )
    parser.add_argument(
        "--connections", type=int, default=32, help="Concurrent connections (wrk and pgbench)."
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=int(os.environ.get("WEB_CONCURRENCY") or 2 * (os.cpu_count() or 1) + 1),
        help="gunicorn workers (default: WEB_CONCURRENCY, else gunicorn's 2 x cores + 1).",
    )
    parser.add_argument(
        "--worker-class",
        default="sync",
        help="gunicorn worker class (default sync, gunicorn's own and the one README deploys).",
    )
    parser.add_argument("--threads", type=int, default=1, help="Threads per gthread worker.")
    parser.add_argument("--wrk-threads", type=int, default=1)
    parser.add_argument(
        "--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)
    )
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL))
    parser.add_argument(
        "--rebuild", action="store_true", help="Reload the data set even if cached."
    )
    parser.add_argument(
        "--profile", action="store_true", help="py-spy the web workers per scenario."
    )
    parser.add_argument(
        "--update-docs",
        action="store_true",
        help="Rewrite the results section of docs/benchmarks.md.",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    arguments = parse_arguments(argv)
    groups = {
        "0": ["health", "me"],
        "1": ["progress"],
        "2": ["courses", "course_videos"],
        "3": ["dashboard", "assessment_videos"],
        "4": ["login"],
        "5": [PGBENCH],
    }
    chosen = _select(arguments.scenarios, ALL_NAMES, groups)
    jobs = _select(arguments.jobs, JOBS, {})
    database = Database(arguments.database_url)
    redis = urlsplit(arguments.redis_url)
    OUT.mkdir(parents=True, exist_ok=True)

    ensure_postgres(database.host, database.port)
    ensure_redis(redis.hostname or "127.0.0.1", redis.port or 6379)
    wrk = ensure_wrk()
    pgbench = ensure_pgbench()
    server = Server(database)
    results: dict[str, Any] = {
        "command": " ".join(["python -m tests.benchmarks.run", *(argv or sys.argv[1:])]),
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": machine(server=server, redis_url=arguments.redis_url, wrk=wrk, pgbench=pgbench),
        "settings": {
            "duration_s": arguments.duration,
            "warmup_s": arguments.warmup,
            "connections": arguments.connections,
            "workers": arguments.workers,
            "threads": arguments.threads,
            "wrk_threads": arguments.wrk_threads,
            "rate_limit": not arguments.no_rate_limit,
        },
    }
    results["dataset"] = prepare_databases(
        server=server, database=database, redis_url=arguments.redis_url, rebuild=arguments.rebuild
    )
    flush_redis(arguments.redis_url)
    env = bench_environment(
        database_url=database.url,
        redis_url=arguments.redis_url,
        rate_limit=not arguments.no_rate_limit,
    )
    os.environ.update(bench_settings(database_url=database.url, redis_url=arguments.redis_url))
    import django

    django.setup()
    from django.db import connection

    context = load_context()
    connection.close()

    scenario_results: dict[str, Any] = {}
    web_scenarios = [scenario for scenario in SCENARIOS if scenario.name in chosen]
    if web_scenarios:
        with gunicorn(
            env,
            workers=arguments.workers,
            threads=arguments.threads,
            worker_class=arguments.worker_class,
            log_path=OUT / "gunicorn.log",
        ) as web:
            results["server_command"] = " ".join(web.command[1:])
            cpu_groups = {
                "web workers": lambda: children(web.pid),
                "database": lambda: server.backend_pids(database.name),
                "redis": lambda: _pids_named("redis-server"),
            }
            for scenario in web_scenarios:
                scenario_results[scenario.name] = _run_scenario(
                    scenario=scenario,
                    context=context,
                    web=web,
                    wrk=wrk,
                    arguments=arguments,
                    cpu_groups=cpu_groups,
                )
    if PGBENCH in chosen:
        log("pgbench: the progress event's upsert")
        pgbench_args = {
            "pgbench": pgbench,
            "database": database,
            "connections": arguments.connections,
            "first_user": min(context.student_tokens),
            "last_user": max(context.student_tokens),
            "groups": {"database": lambda: server.backend_pids(database.name)},
        }
        run_pgbench(seconds=max(1, arguments.warmup), **pgbench_args)
        scenario_results[PGBENCH] = {
            "title": "pgbench: the progress upsert, straight to PostgreSQL",
            **run_pgbench(seconds=arguments.duration, **pgbench_args),
        }
    results["scenarios"] = scenario_results

    if not arguments.no_query_counts:
        log("counting queries")
        from tests.benchmarks import querycounts

        results["query_counts"] = querycounts.count_all(context)
        connection.close()

    if jobs:
        results["jobs"] = _run_jobs(
            jobs=jobs, server=server, database=database, redis_url=arguments.redis_url
        )

    results["finished_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    (OUT / "results.json").write_text(json.dumps(results, indent=2, default=str) + "\n")
    markdown = report.markdown(results)
    (OUT / "results.md").write_text(markdown)
    if arguments.update_docs:
        report.update_docs(ROOT / "docs" / "benchmarks.md", markdown)
    print(markdown)
    log(f"wrote {OUT / 'results.json'} and {OUT / 'results.md'}")


def _pids_named(name: str) -> set[int]:
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError):
                if Path(f"/proc/{entry}/comm").read_text().strip() == name:
                    found.add(int(entry))
    return found


def _run_scenario(
    *,
    scenario: Scenario,
    context: Context,
    web: Any,
    wrk: str,
    arguments: argparse.Namespace,
    cpu_groups: dict[str, Callable[[], set[int]]],
) -> dict[str, Any]:
    rows = scenario.rows(context)
    status = _probe(web.base_url, scenario.requests(context)[0])
    if status == 404 and scenario.optional:
        log(f"{scenario.name}: not available (404)")
        return {"title": scenario.title, "available": False, "probe_status": status}
    log(f"{scenario.name}: probe {status}, warm-up {arguments.warmup}s, run {arguments.duration}s")
    common = {
        "wrk": wrk,
        "base_url": web.base_url,
        "scenario": scenario,
        "rows": rows,
        "connections": min(arguments.connections, scenario.max_connections or 1_000_000),
        "threads": arguments.wrk_threads,
        "groups": cpu_groups,
    }
    if arguments.warmup:
        run_wrk(seconds=arguments.warmup, **common)
    profiler = None
    if arguments.profile:
        profile_path = OUT / f"profile-{scenario.name}.txt"
        profiler = subprocess.Popen(
            [
                str(Path(PYTHON).parent / "py-spy"),
                "record",
                "--pid",
                str(web.pid),
                "--subprocesses",
                "--format",
                "raw",
                "--rate",
                "200",
                "--duration",
                str(arguments.duration),
                "--output",
                str(profile_path),
                "--nonblocking",
            ],
            stdout=subprocess.DEVNULL,
        )
    result = run_wrk(seconds=arguments.duration, **common)
    if profiler is not None:
        profiler.wait()
    requests = result["requests"]
    socket_errors = sum(result["errors"][kind] for kind in ("connect", "read", "write", "timeout"))
    non_2xx = sum(count for code, count in result["statuses"].items() if not code.startswith("2"))
    seconds = result["duration_s"] or 1
    result.update(
        {
            "title": scenario.title,
            "available": True,
            "probe_status": status,
            "connections": common["connections"],
            "rows": len(rows),
            "requests_per_second": round(requests / seconds, 1),
            "error_rate": round((socket_errors + non_2xx) / requests, 4) if requests else None,
        }
    )
    log(
        f"{scenario.name}: {result['requests_per_second']} req/s, "
        f"p99 {result['latency_ms']['99']} ms, errors {result['error_rate']}"
    )
    return result


def _run_jobs(*, jobs: list[str], server: Server, database: Database, redis_url: str) -> dict:
    scratch = f"{database.name}_jobs"
    log(f"bulk jobs in {scratch}: {', '.join(jobs)}")
    server.create(scratch, template=f"{database.name}_template")
    env = bench_environment(database_url=database.sibling(scratch).url, redis_url=redis_url)
    try:
        output = subprocess.run(
            [PYTHON, "-m", "tests.benchmarks.jobs", "--jobs", ",".join(jobs)],
            env=env,
            cwd=ROOT,
            check=True,
            stdout=subprocess.PIPE,
            text=True,
        ).stdout
    finally:
        server.drop(scratch)
    return json.loads(output)


if __name__ == "__main__":
    main()
