"""What the benchmark runs on: PostgreSQL, Redis, wrk and pgbench (started or installed the
way .ci/run does), the databases it owns, the environment of every process it starts, CPU
accounting per process group, and a description of the machine."""

import glob
import os
import platform
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
# Fixed values for a throwaway database: the bench needs them to be stable between its own
# processes (tokens minted by the runner are verified by gunicorn), not secret.
BENCH_SECRET_KEY = "bench-only-secret-key-0123456789abcdef0123456789abcdef"
BENCH_FERNET_KEY = "YmVuY2gtb25seS1rZXktYmVuY2gtb25seS1rZXkhISE="


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# --- services -----------------------------------------------------------------------------


def _apt_install(*packages: str) -> None:
    log(f"installing {' '.join(packages)} with apt-get")
    subprocess.run(["apt-get", "update", "-qq"], check=True)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", *packages],
        check=True,
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
    )


def _wait(check: Callable[[], bool], seconds: int = 30) -> bool:
    for _ in range(seconds * 2):
        if check():
            return True
        time.sleep(0.5)
    return check()


def _quiet(command: list[str]) -> bool:
    try:
        return subprocess.run(command, capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def ensure_postgres(host: str, port: int) -> None:
    def ready() -> bool:
        return _quiet(["pg_isready", "-h", host, "-p", str(port), "-q"])

    if shutil.which("pg_isready") and ready():
        return
    if not shutil.which("pg_ctlcluster") or not os.listdir("/etc/postgresql"):
        _apt_install("postgresql")
    version = sorted(os.listdir("/etc/postgresql"))[0]
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"], check=False
    )
    if not _wait(ready):
        raise SystemExit(f"PostgreSQL is not answering on {host}:{port}")


def ensure_redis(host: str, port: int) -> None:
    def ready() -> bool:
        return _quiet(["redis-cli", "-h", host, "-p", str(port), "ping"])

    if shutil.which("redis-cli") and ready():
        return
    if not shutil.which("redis-server"):
        _apt_install("redis-server")
    subprocess.run(
        [
            "redis-server",
            "--daemonize",
            "yes",
            "--bind",
            host,
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        check=True,
    )
    if not _wait(ready):
        raise SystemExit(f"Redis is not answering on {host}:{port}")


def ensure_wrk() -> str:
    if not shutil.which("wrk"):
        _apt_install("wrk")
    return shutil.which("wrk") or "wrk"


def ensure_pgbench() -> str:
    found = shutil.which("pgbench") or next(
        iter(sorted(glob.glob("/usr/lib/postgresql/*/bin/pgbench"), reverse=True)), None
    )
    if found is None:
        _apt_install("postgresql-contrib")
        found = (
            shutil.which("pgbench") or sorted(glob.glob("/usr/lib/postgresql/*/bin/pgbench"))[-1]
        )
    return found


# --- databases ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Database:
    """A PostgreSQL database named by URL; its siblings share the server."""

    url: str

    @property
    def name(self) -> str:
        return urlsplit(self.url).path.lstrip("/")

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or "127.0.0.1"

    @property
    def port(self) -> int:
        return urlsplit(self.url).port or 5432

    @property
    def user(self) -> str:
        return urlsplit(self.url).username or "postgres"

    def sibling(self, name: str) -> "Database":
        parts = urlsplit(self.url)
        return Database(urlunsplit(parts._replace(path=f"/{name}")))

    def connect(self, **kwargs: Any) -> Any:
        import psycopg

        parts = urlsplit(self.url)
        return psycopg.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            password=parts.password or None,
            dbname=self.name,
            **kwargs,
        )


class Server:
    """Administration of the databases the bench owns, through the `postgres` database."""

    def __init__(self, database: Database):
        self.admin = database.sibling("postgres")

    def _execute(self, sql: str, params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        with self.admin.connect(autocommit=True) as connection:
            cursor = connection.execute(sql, list(params))  # type: ignore[arg-type]
            return cursor.fetchall() if cursor.description else []

    def exists(self, name: str) -> bool:
        return bool(self._execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]))

    def comment(self, name: str) -> str | None:
        rows = self._execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
            [name],
        )
        return rows[0][0] if rows else None

    def set_comment(self, name: str, text: str) -> None:
        self._execute(f"COMMENT ON DATABASE \"{name}\" IS '{text}'")

    def drop(self, name: str) -> None:
        self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def create(self, name: str, template: str | None = None) -> None:
        self.drop(name)
        sql = f'CREATE DATABASE "{name}"'
        if template:
            sql += f' TEMPLATE "{template}"'
        self._execute(sql)

    def version(self) -> str:
        return str(self._execute("SHOW server_version")[0][0])

    def settings(self, names: Iterable[str]) -> dict[str, str]:
        return {name: str(self._execute(f"SHOW {name}")[0][0]) for name in names}

    def backend_pids(self, name: str) -> set[int]:
        """The server processes of one database, and the server's own background work (WAL
        writer, checkpointer, background writer, autovacuum), whose CPU a write load causes."""
        rows = self._execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s OR backend_type IN "
            "('walwriter', 'checkpointer', 'background writer', 'autovacuum worker')",
            [name],
        )
        return {int(row[0]) for row in rows}


# --- the environment of the processes the bench starts -------------------------------------


def bench_settings(*, database_url: str, redis_url: str, rate_limit: bool = True) -> dict[str, str]:
    """Production settings with the bench's database, Redis and keys. Rate limiting stays on,
    as deployed (a Redis script per request), with limits no run can reach: every request
    comes from one IP and a few thousand users. `rate_limit=False` turns it off. Access tokens
    live long enough to outlast a run."""
    return {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": BENCH_SECRET_KEY,
        "FIELD_ENCRYPTION_KEYS": BENCH_FERNET_KEY,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "CELERY_BROKER_URL": redis_url,
        "CACHE_KEY_PREFIX": "lectern-bench",
        "RATE_LIMIT_ENABLED": "true" if rate_limit else "false",
        "RATE_LIMIT_REQUESTS": "1000000000",
        "RATE_LIMIT_AUTH_REQUESTS": "1000000000",
        "JWT_ACCESS_MINUTES": "720",
        "LOG_LEVEL": "WARNING",
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "REMEDIATION_RANKER": "lexical",
        "YOUTUBE_API_KEY": "",
        "LLM_API_URL": "",
        "PYTHONPATH": str(ROOT),
    }


def bench_environment(
    *, database_url: str, redis_url: str, rate_limit: bool = True
) -> dict[str, str]:
    """The environment of a process the bench starts: this one's, plus `bench_settings`."""
    settings = bench_settings(database_url=database_url, redis_url=redis_url, rate_limit=rate_limit)
    return {**os.environ, **settings}


def manage(env: dict, *arguments: str) -> None:
    subprocess.run([PYTHON, str(ROOT / "manage.py"), *arguments], env=env, check=True, cwd=ROOT)


# --- CPU accounting -----------------------------------------------------------------------

TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_ticks(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime + stime
    except (OSError, IndexError, ValueError):
        return None


def children(pid: int) -> set[int]:
    """The process and all its descendants."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                parents[int(entry)] = int(handle.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
    found = {pid}
    changed = True
    while changed:
        changed = False
        for child, parent in parents.items():
            if parent in found and child not in found:
                found.add(child)
                changed = True
    return found


@dataclass
class CpuMeter:
    """CPU seconds used by groups of processes while it runs, sampled twice a second; each
    group's process list is looked up again at every sample, so processes that start late
    (a new database connection) count from when they are first seen."""

    groups: dict[str, Callable[[], set[int]]]
    interval: float = 0.5
    seconds: dict[str, float] = field(default_factory=dict)
    elapsed: float = 0.0
    total_ticks: int = 0

    def __post_init__(self) -> None:
        self._last: dict[str, dict[int, int]] = {name: {} for name in self.groups}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _machine_ticks(self) -> int:
        with open("/proc/stat") as handle:
            values = [int(value) for value in handle.readline().split()[1:]]
        return sum(values) - values[3] - values[4]  # all but idle and iowait

    def _sample(self) -> None:
        for name, finder in self.groups.items():
            try:
                pids = finder()
            except Exception:
                continue
            last = self._last[name]
            for pid in pids:
                ticks = _cpu_ticks(pid)
                if ticks is None:
                    continue
                previous = last.get(pid)
                if previous is not None and ticks >= previous:
                    self.seconds[name] = self.seconds.get(name, 0.0) + (ticks - previous) / TICKS
                last[pid] = ticks

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def __enter__(self) -> "CpuMeter":
        self._started = time.monotonic()
        self._machine_started = self._machine_ticks()
        self._sample()
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()
        self.elapsed = time.monotonic() - self._started
        self.total_ticks = self._machine_ticks() - self._machine_started

    def shares(self) -> dict[str, float]:
        """Each group's CPU as a share of the machine (1.0: every core busy), plus `machine`
        (everything, this bench and anything else)."""
        capacity = self.elapsed * (os.cpu_count() or 1)
        if capacity <= 0:
            return {}
        result = {name: round(value / capacity, 3) for name, value in self.seconds.items()}
        result["machine"] = round(self.total_ticks / TICKS / capacity, 3)
        return result


# --- the machine --------------------------------------------------------------------------


def _first_line(command: list[str]) -> str:
    try:
        output = subprocess.run(command, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    text = (output.stdout or output.stderr).strip()
    return text.splitlines()[0] if text else "unknown"


def machine(*, server: Server, redis_url: str, wrk: str, pgbench: str) -> dict[str, Any]:
    from importlib.metadata import version

    memory_kb = 0
    with open("/proc/meminfo") as handle:
        for line in handle:
            if line.startswith("MemTotal:"):
                memory_kb = int(line.split()[1])
    cpu_model = "unknown"
    with open("/proc/cpuinfo") as handle:
        for line in handle:
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    redis_parts = urlsplit(redis_url)
    redis_version = "unknown"
    info = subprocess.run(
        [
            "redis-cli",
            "-h",
            redis_parts.hostname or "127.0.0.1",
            "-p",
            str(redis_parts.port or 6379),
            "info",
            "server",
        ],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    for line in info.splitlines():
        if line.startswith("redis_version:"):
            redis_version = line.split(":", 1)[1].strip()
    commit = _first_line(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"])
    return {
        "cores": os.cpu_count(),
        "cpu": cpu_model,
        "memory_gib": round(memory_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
        "load_average_before": [round(value, 2) for value in os.getloadavg()],
        "versions": {
            "python": platform.python_version(),
            "django": version("django"),
            "djangorestframework": version("djangorestframework"),
            "gunicorn": version("gunicorn"),
            "psycopg": version("psycopg"),
            "postgresql": server.version(),
            "redis": redis_version,
            "wrk": _first_line([wrk, "--version"]).split(" [")[0],
            "pgbench": _first_line([pgbench, "--version"]),
        },
        "postgresql_settings": server.settings(
            ["max_connections", "shared_buffers", "synchronous_commit", "fsync"]
        ),
        "commit": commit,
    }
