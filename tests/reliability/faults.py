"""Tools of the fault tests: polling with a deadline; a Redis server of the test's own that
can be stopped and started again, and a server that accepts connections and never answers;
this process's Celery app pointed at a broker; real Celery worker processes
(`celery -A tests.reliability.worker_app worker`) against the test database; jobs created
through the API and what the broker and the ledger say about them."""

import base64
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import redis
from django.conf import settings
from django.db import connection
from kombu import pools

from config.celery import app as celery_app
from credits.models import CreditTransaction
from jobs.models import Job
from tests.accounts.factories import StudentFactory
from tests.conftest import client_for
from tests.jobs.factories import ProjectFactory

REDIS_SERVER = shutil.which("redis-server")
# Starting a worker process (Django and Celery) can take a few seconds on a busy machine.
WORKER_TIMEOUT = 60


def wait_until(
    predicate: Callable[[], Any], *, timeout: float, what: str, details: Callable[[], str] = str
) -> Any:
    """Poll `predicate` until it returns something truthy (returned) or `timeout` seconds
    pass (AssertionError naming `what`, with `details()`)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}\n{details()}")
        time.sleep(0.05)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisServer:
    """A redis-server process of this test alone, on a free port, without persistence:
    `stop()` is the broker or cache going down (SIGKILL), `start()` it coming back."""

    def __init__(self, directory: Path):
        assert REDIS_SERVER is not None
        self.directory = directory
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def client(self, db: int = 0) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, db=db, socket_timeout=2)

    def answers(self) -> bool:
        try:
            with self.client() as client:
                return bool(client.ping())
        except redis.RedisError:
            return False

    def start(self) -> None:
        assert REDIS_SERVER is not None
        self.process = subprocess.Popen(
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        process = self.process
        wait_until(
            lambda: self.answers() or process.poll() is not None,
            timeout=10,
            what=f"redis-server on port {self.port}",
        )
        if process.poll() is not None:
            raise RuntimeError(f"redis-server could not listen on port {self.port}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None


def start_redis_server(directory: Path) -> RedisServer:
    """A started RedisServer; another port is tried when the free one was taken meanwhile."""
    for _ in range(3):
        server = RedisServer(directory)
        try:
            server.start()
        except RuntimeError:
            server.stop()
            continue
        return server
    raise RuntimeError("no free port for redis-server")


class HungServer:
    """A TCP server that accepts connections and never answers: Redis hung, or a network
    that lets connections in and nothing back. Counts the connections made to it."""

    def __init__(self) -> None:
        self.socket = socket.create_server(("127.0.0.1", 0), backlog=64)
        self.port = self.socket.getsockname()[1]
        self.accepted: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    @property
    def connections(self) -> int:
        return len(self.accepted)

    def _accept(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                accepted, _ = self.socket.accept()
                self.accepted.append(accepted)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.socket.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
        self.socket.close()
        for accepted in self.accepted:
            accepted.close()
        self.thread.join(timeout=5)


def _reset_celery_pools() -> None:
    """Forget this process's broker connections, so the next publish connects anew to the
    configured broker URL."""
    pools.reset()
    celery_app._pool = None
    with contextlib.suppress(AttributeError, KeyError):
        celery_app.__dict__["amqp"]._producer_pool = None


@contextlib.contextmanager
def publishing_to(
    broker_url: str, transport_options: dict[str, Any] | None = None
) -> Iterator[None]:
    """This process's Celery app publishes to `broker_url` (with other transport options,
    if given) instead of running tasks eagerly (the test settings' default), and is
    restored afterwards."""
    conf = celery_app.conf
    names = ("broker_url", "broker_transport_options", "task_always_eager")
    saved = {name: conf[name] for name in names}
    conf.broker_url = broker_url
    conf.task_always_eager = False
    if transport_options is not None:
        conf.broker_transport_options = transport_options
    _reset_celery_pools()
    try:
        yield
    finally:
        conf.update(saved)
        _reset_celery_pools()


def database_url_for_workers() -> str:
    """The URL of the test database (`test_<name>`, per xdist worker) for other processes."""
    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"], safe="")
    host = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    return f"postgres://{credentials}@{host}/{db['NAME']}"


class Workers:
    """Celery worker processes (prefork, one pool process, queues high, normal, low) that
    consume from `broker_url`, reach the test database and run the jobs' script_analysis
    processor from `worker_app` (by default it blocks on a job's first run). Each is the
    leader of its own process group, so a SIGKILL takes its pool processes with it."""

    def __init__(self, *, broker_url: str, directory: Path):
        self.broker_url = broker_url
        self.directory = directory
        self.processes: list[subprocess.Popen[bytes]] = []

    def start(
        self, *, visibility_timeout: float | None = None, block_first_run: bool = True
    ) -> subprocess.Popen[bytes]:
        env = dict(os.environ)
        env.update(
            DJANGO_SETTINGS_MODULE="config.settings.test",
            DATABASE_URL=database_url_for_workers(),
            CELERY_BROKER_URL=self.broker_url,
            RELIABILITY_RUN_DIR=str(self.directory),
            RELIABILITY_BLOCK_FIRST_RUN="1" if block_first_run else "0",
        )
        if visibility_timeout is not None:
            env["RELIABILITY_VISIBILITY_TIMEOUT"] = str(visibility_timeout)
        log = self.directory / f"worker-{len(self.processes)}.log"
        with log.open("wb") as output:
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "tests.reliability.worker_app",
                    "worker",
                    "--queues",
                    "high,normal,low",
                    "--pool",
                    "prefork",
                    "--concurrency",
                    "1",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                    "--loglevel",
                    "INFO",
                    "--hostname",
                    f"reliability-{uuid.uuid4().hex[:8]}@%h",
                ],
                cwd=settings.BASE_DIR,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.processes.append(process)
        return process

    def logs(self) -> str:
        return "\n".join(
            f"--- {path.name}\n{path.read_text(errors='replace')[-3000:]}"
            for path in sorted(self.directory.glob("worker-*.log"))
        )

    @staticmethod
    def kill(process: subprocess.Popen[bytes]) -> None:
        """SIGKILL the worker and its pool processes at once: nothing runs on exit."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def stop_all(self) -> None:
        for process in self.processes:
            self.kill(process)
        self.processes.clear()


# --- jobs -----------------------------------------------------------------------------------


def create_job() -> Job:
    """A script_analysis job of a new free-tier student (queue "low"), created through the
    API: validated, paid with a hold and published after commit."""
    student = StudentFactory()
    response = client_for(student).post(
        "/api/v1/jobs",
        {"project_id": ProjectFactory(owner=student).pk, "job_type": "script_analysis"},
        format="json",
    )
    assert response.status_code == 201, response.content
    return Job.objects.get(pk=response.json()["id"])


def wait_until_completed(job: Job, workers: Workers) -> Job:
    wait_until(
        lambda: Job.objects.filter(pk=job.pk, status=Job.Status.COMPLETED).exists(),
        timeout=WORKER_TIMEOUT,
        what=f"job {job.pk} to complete",
        details=lambda: f"{Job.objects.filter(pk=job.pk).values().first()}\n{workers.logs()}",
    )
    job.refresh_from_db()
    return job


def finished_runs(job: Job, workers: Workers) -> list[str]:
    """Process ids of the runs of the job that got to the end of the processor."""
    path = workers.directory / f"job-{job.pk}.finished"
    return path.read_text().split() if path.exists() else []


def assert_paid_once(job: Job) -> None:
    """One hold, captured by one capture, nothing released."""
    money = list(
        CreditTransaction.objects.filter(reference=f"job:{job.pk}")
        .order_by("pk")
        .values_list("kind", "idempotency_key")
    )
    assert money == [("hold", f"job:{job.pk}:hold"), ("capture", f"job:{job.pk}:capture")]
    assert job.credit_hold.status == "captured"


def wait_until_unacknowledged_for(client: redis.Redis, seconds: float) -> None:
    """Wait until every message a worker took and did not acknowledge was taken more than
    `seconds` ago (kombu's Redis transport scores them by the time they were taken)."""
    wait_until(
        lambda: all(
            time.time() - taken > seconds
            for _, taken in client.zrange("unacked_index", 0, -1, withscores=True)
        ),
        timeout=seconds + 10,
        what=f"unacknowledged messages older than {seconds} s",
    )


def queued_runs(client: redis.Redis, queue: str) -> list[tuple[str, list[Any]]]:
    """(task id, arguments) of every message waiting in a Redis queue, oldest first."""
    runs = []
    for raw in reversed(client.lrange(queue, 0, -1)):
        message = json.loads(raw)
        args, _kwargs, _embed = json.loads(base64.b64decode(message["body"]))
        runs.append((message["headers"]["id"], args))
    return runs
