"""A worker killed with SIGKILL in the middle of a job: the job runs again and completes
once, and its credits are captured once.

Real Celery worker processes (`faults.Workers`) consume from a Redis server of the test's
own and write to the test database, so the test commits (`transaction=True`). Their
script_analysis processor blocks on a job's first run, which is where the test kills it."""

import os
import signal

import pytest
from django.test import override_settings

from jobs import services
from jobs.models import Job
from tests.reliability.faults import (
    WORKER_TIMEOUT,
    assert_paid_once,
    create_job,
    finished_runs,
    publishing_to,
    wait_until,
    wait_until_completed,
    wait_until_unacknowledged_for,
)

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

J = Job.Status
# The broker's visibility timeout for the worker that follows a killed one.
VISIBILITY_TIMEOUT = 1


def first_run_blocked(job: Job, workers) -> int:
    """Wait until a worker is inside the job's first run; its process id."""
    started = workers.directory / f"job-{job.pk}.started"
    wait_until(
        lambda: (
            started.exists()
            and Job.objects.filter(pk=job.pk, status=J.PROCESSING, progress=10).exists()
        ),
        timeout=WORKER_TIMEOUT,
        what=f"job {job.pk} to be processing",
        details=workers.logs,
    )
    return int(started.read_text())


def test_a_killed_pool_process_s_job_is_redelivered_and_completes_once(workers, redis_server):
    """The pool process running the job dies (as under the kernel's OOM killer): its
    worker gives the message back to the broker (`reject_on_worker_lost`), and the run it
    redelivers takes the job over and completes it."""
    with publishing_to(redis_server.url()):
        job = create_job()
    worker = workers.start()
    pool_process = first_run_blocked(job, workers)
    assert pool_process != worker.pid

    os.kill(pool_process, signal.SIGKILL)

    job = wait_until_completed(job, workers)
    assert (job.attempts, job.retry_count, job.progress) == (2, 1, 100)
    runs = finished_runs(job, workers)
    assert len(runs) == 1
    assert runs[0] != str(pool_process)
    assert_paid_once(job)


def test_a_killed_worker_s_job_is_redelivered_to_another_worker_and_completes_once(
    workers, redis_server
):
    """The whole worker dies: its unacknowledged message goes back to the queue after the
    broker's visibility timeout, and the worker that receives it completes the job."""
    with publishing_to(redis_server.url()):
        job = create_job()
    first = workers.start()
    first_run_blocked(job, workers)

    workers.kill(first)
    assert Job.objects.get(pk=job.pk).status == J.PROCESSING
    assert redis_server.client().hlen("unacked") == 1
    wait_until_unacknowledged_for(redis_server.client(), VISIBILITY_TIMEOUT)
    workers.start(visibility_timeout=VISIBILITY_TIMEOUT)

    job = wait_until_completed(job, workers)
    assert (job.attempts, job.retry_count) == (2, 1)
    assert len(finished_runs(job, workers)) == 1
    assert_paid_once(job)


def test_a_killed_worker_s_job_requeued_by_the_reaper_completes_once(workers, redis_server):
    """The whole worker dies and its message is not handed out again in time: the reaper
    requeues the silent job, another worker completes it, and when the old message does
    come back it finds nothing to do."""
    with publishing_to(redis_server.url()):
        job = create_job()
        first = workers.start()
        first_run_blocked(job, workers)
        workers.kill(first)

        with override_settings(JOBS_STUCK_TIMEOUT=0):
            reaped = services.jobs_reap_stuck()
        assert reaped == services.ReapResult(requeued=1)
        requeued = Job.objects.get(pk=job.pk)
        assert (requeued.status, requeued.retry_count) == (J.QUEUED, 1)
        assert requeued.dispatched_at is not None  # published again after commit
        # This worker also hands out the killed worker's message again.
        wait_until_unacknowledged_for(redis_server.client(), VISIBILITY_TIMEOUT)
        workers.start(visibility_timeout=VISIBILITY_TIMEOUT)

        job = wait_until_completed(job, workers)
        wait_until(
            lambda: (
                redis_server.client().hlen("unacked") == 0
                and redis_server.client().llen("low") == 0
            ),
            timeout=WORKER_TIMEOUT,
            what="both messages to be consumed",
            details=workers.logs,
        )

    assert (job.attempts, job.retry_count) == (2, 1)
    assert len(finished_runs(job, workers)) == 1
    assert_paid_once(job)
