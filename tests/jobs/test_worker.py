"""A real Celery worker, consuming from Redis, runs jobs created through the API (not eager
mode). Needs PostgreSQL and Redis (REDIS_URL): the worker runs in a thread of this process
(celery.contrib.testing.worker.start_worker, solo pool) and reaches the test database over
its own connection, so the test commits (`transaction=True`).

Each test uses queue names of its own (JOBS_QUEUE_PREFIX), so parallel runs (pytest-xdist)
sharing the Redis database never take each other's messages."""

import base64
import json
import time
import uuid
from contextlib import contextmanager

import pytest
import redis
import responses
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.db import connections

from config.celery import app as celery_app
from credits.models import CreditTransaction
from jobs import queues
from jobs.models import Job
from tests.accounts.factories import StudentFactory
from tests.conftest import client_for
from tests.jobs.factories import ProjectFactory

pytestmark = [
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]

PROVIDER = "https://ai.example/v1"
TIMEOUT = 20


@pytest.fixture
def broker(settings):
    """Jobs are published to Redis (not run eagerly), on queues only this test uses."""
    assert celery_app.conf.broker_url.startswith("redis://"), celery_app.conf.broker_url
    assert celery_app.conf.broker_transport_options["queue_order_strategy"] == "priority"
    settings.JOBS_QUEUE_PREFIX = f"test-{uuid.uuid4().hex[:12]}-"
    names = queues.queue_names()
    client = redis.Redis.from_url(celery_app.conf.broker_url)
    eager, hijack = celery_app.conf.task_always_eager, celery_app.conf.worker_hijack_root_logger
    celery_app.conf.task_always_eager = False
    celery_app.conf.worker_hijack_root_logger = False
    try:
        yield client, names
    finally:
        celery_app.conf.task_always_eager = eager
        celery_app.conf.worker_hijack_root_logger = hijack
        leftovers = list(client.scan_iter(match=f"*{settings.JOBS_QUEUE_PREFIX}*"))
        if leftovers:
            client.delete(*leftovers)
        client.close()


def close_worker_connections(**kwargs):
    """The worker thread's database connections close after each task, so the test
    database can be flushed and dropped."""
    connections.close_all()


@contextmanager
def worker(names):
    task_postrun.connect(close_worker_connections, weak=False)
    try:
        with start_worker(
            celery_app,
            pool="solo",
            concurrency=1,
            queues=names,
            perform_ping_check=False,
            shutdown_timeout=20,
            loglevel="WARNING",
        ):
            yield
    finally:
        task_postrun.disconnect(close_worker_connections)


def wait_until_finished(job_ids, seen=None):
    """Poll the database until every job has finished, noting progress values seen."""
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        rows = list(Job.objects.filter(pk__in=job_ids).values_list("status", "progress"))
        if seen is not None:
            seen.update(progress for _, progress in rows)
        if all(status in ("completed", "failed", "cancelled") for status, _ in rows):
            return
        time.sleep(0.05)
    raise AssertionError(f"jobs not finished after {TIMEOUT} s: {rows}")


def test_a_worker_runs_a_job_from_queued_to_completed_with_progress(broker, settings):
    client, names = broker
    settings.JOBS_AI_PROVIDER_URL = PROVIDER
    image = base64.b64encode(b"\x89PNG image").decode()

    def slow_image(request):
        time.sleep(0.4)
        return 200, {}, json.dumps({"files": [{"name": "f.png", "content_base64": image}]})

    student = StudentFactory()
    project = ProjectFactory(owner=student)
    with responses.RequestsMock() as provider:
        provider.add_callback(responses.POST, f"{PROVIDER}/image_generation", callback=slow_image)
        response = client_for(student).post(
            "/api/v1/jobs",
            {"project_id": project.pk, "job_type": "image_generation", "parameters": {"count": 3}},
            format="json",
        )
        assert response.status_code == 201
        job_id = response.json()["id"]
        job = Job.objects.get(pk=job_id)
        # committed and published to its queue; nothing has run it yet
        assert (job.status, job.dispatched_at is not None) == ("queued", True)
        assert client.llen(names[2]) == 1  # the low queue (free tier)

        seen: set[int] = set()
        with worker(names):
            wait_until_finished([job_id], seen)

    job.refresh_from_db()
    assert (job.status, job.progress, job.attempts, job.error) == ("completed", 100, 1, "")
    assert len(job.result["images"]) == 3
    assert seen & {33, 66}, f"no progress reported in between: {sorted(seen)}"
    captures = CreditTransaction.objects.filter(reference=f"job:{job_id}", kind="capture")
    assert list(captures.values_list("idempotency_key", flat=True)) == [f"job:{job_id}:capture"]
    assert job.credit_hold.status == "captured"
    assert client.llen(names[2]) == 0


def test_the_worker_empties_the_high_queue_first(broker):
    client, names = broker
    created = {}
    for tier in ("free", "pro", "enterprise"):  # published low first, high last
        user = StudentFactory(tier=tier)
        response = client_for(user).post(
            "/api/v1/jobs",
            {"project_id": ProjectFactory(owner=user).pk, "job_type": "script_analysis"},
            format="json",
        )
        created[tier] = response.json()["id"]
    assert [client.llen(name) for name in names] == [1, 1, 1]  # high, normal, low

    with worker(names):
        wait_until_finished(list(created.values()))

    started = dict(Job.objects.filter(pk__in=created.values()).values_list("pk", "started_at"))
    order = sorted(created, key=lambda tier: started[created[tier]])
    assert order == ["enterprise", "pro", "free"]
    assert set(Job.objects.values_list("status", flat=True)) == {"completed"}
