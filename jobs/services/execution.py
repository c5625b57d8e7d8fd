"""Running a job on a worker: claim, process with progress, settle.

A run claims its job with `UPDATE ... WHERE status = 'queued'` (→ processing, `attempts`
+1), so a duplicate message, or one for a job already finished, does nothing. A message
the broker hands out again because the worker running it died (`reject_on_worker_lost`,
or the visibility timeout after the whole worker died) finds its job still processing
under its own task id: that run takes the job over (`attempts` +1, counted as a retry, so
a job that kills every worker it runs on fails once its retries are used up). Should the
earlier run still be alive, it finds itself superseded at its next progress report.
The processor reports progress through `ProgressReporter`, which is also the cancel point.
The outcome is settled under the job's lock, only if the job is still this run's
(`attempts` unchanged): completed (hold captured), failed (released), cancelled
(released), or requeued with backoff after a transient error while retries remain."""

import logging
from typing import Any

import requests
from celery.exceptions import SoftTimeLimitExceeded
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from jobs.models import Job, Project
from jobs.processors import (
    JobCancelled,
    JobSpec,
    JobSuperseded,
    ProcessorError,
    TransientError,
    processor_for,
)
from jobs.services.jobs import job_finish, job_requeue, lock_job, project_follow, retry_countdown
from jobs.states import check_job_transition

logger = logging.getLogger(__name__)

J = Job.Status
NETWORK_ERRORS = (TransientError, requests.ConnectionError, requests.Timeout, ConnectionError)


class ProgressReporter:
    """The progress callback of one run. Each report is one UPDATE of `progress` and
    `heartbeat_at`, conditional on the job still being this run's and not flagged for
    cancelling; when it matches nothing, one SELECT tells which: JobCancelled (stop and
    release) or JobSuperseded (stop, touch nothing)."""

    def __init__(self, *, job_id: int, attempt: int):
        self.job_id = job_id
        self.attempt = attempt

    def __call__(self, percent: int) -> None:
        percent = max(0, min(100, int(percent)))
        updated = Job.objects.filter(
            pk=self.job_id, status=J.PROCESSING, attempts=self.attempt, cancel_requested=False
        ).update(progress=percent, heartbeat_at=timezone.now())
        if not updated:
            raise self._why_stopped()

    def _why_stopped(self) -> Exception:
        row = (
            Job.objects.filter(pk=self.job_id)
            .values_list("status", "attempts", "cancel_requested")
            .first()
        )
        if row == (J.PROCESSING, self.attempt, True):
            return JobCancelled()
        return JobSuperseded()


@transaction.atomic
def _claim(job_id: int) -> Job | None:
    check_job_transition(J.QUEUED, J.PROCESSING)
    now = timezone.now()
    claimed = Job.objects.filter(pk=job_id, status=J.QUEUED).update(
        status=J.PROCESSING,
        attempts=F("attempts") + 1,
        progress=0,
        started_at=now,
        heartbeat_at=now,
        updated_at=now,
    )
    if not claimed:
        return None
    job = Job.objects.select_related("project").get(pk=job_id)
    project_follow(job, Project.Status.GENERATING, strict=False)
    return job


@transaction.atomic
def _take_over(job_id: int, task_id: str) -> tuple[Job | None, str]:
    """Claim a processing job for the redelivered run of its own task (whose earlier run's
    worker died): the job, or None and the outcome when there is nothing to run ("skipped";
    or "cancelled" or "failed", settled here, when it was cancelled or has no retries left)."""
    job = lock_job(job_id)
    if job.status != J.PROCESSING or job.celery_task_id != task_id:
        return None, "skipped"
    if job.cancel_requested:
        job_finish(job, J.CANCELLED, error="Cancelled; the worker running it was lost.")
        return None, J.CANCELLED
    if job.retry_count >= job.max_retries:
        job_finish(job, J.FAILED, error="The worker running it was lost and no retries remain.")
        return None, J.FAILED
    now = timezone.now()
    job.retry_count += 1
    job.attempts += 1
    job.progress = 0
    job.error = (
        f"The worker running it was lost; run again (retry {job.retry_count} of {job.max_retries})."
    )
    job.started_at = now
    job.heartbeat_at = now
    job.save(
        update_fields=[
            "retry_count",
            "attempts",
            "progress",
            "error",
            "started_at",
            "heartbeat_at",
            "updated_at",
        ]
    )
    logger.warning("job %s: its worker was lost; the redelivered run takes it over", job_id)
    return Job.objects.select_related("project").get(pk=job_id), J.PROCESSING


@transaction.atomic
def _settle(
    job_id: int,
    attempt: int,
    status: str,
    *,
    error: str = "",
    result: dict[str, Any] | None = None,
) -> str:
    job = lock_job(job_id)
    if job.status != J.PROCESSING or job.attempts != attempt:
        logger.warning("job %s: run %s was superseded; its outcome is dropped", job_id, attempt)
        return "superseded"
    job_finish(job, status, error=error, result=result)
    return status


@transaction.atomic
def _retry_or_fail(job_id: int, attempt: int, error: str) -> str:
    job = lock_job(job_id)
    if job.status != J.PROCESSING or job.attempts != attempt:
        return "superseded"
    if job.cancel_requested:
        job_finish(job, J.CANCELLED, error="Cancelled.")
        return J.CANCELLED
    if job.retry_count < job.max_retries:
        countdown = retry_countdown(job.retry_count)
        job_requeue(
            job,
            error=f"{error} Retry {job.retry_count + 1} of {job.max_retries} in {countdown} s.",
            countdown=countdown,
        )
        return "retrying"
    job_finish(job, J.FAILED, error=f"{error} No retries left.")
    return J.FAILED


def job_run(*, job_id: int, task_id: str = "", redelivered: bool = False) -> str:
    """Run one queued job to its outcome; returns what happened ("completed", "failed",
    "cancelled", "retrying", "superseded" or "skipped" when there was nothing to run).
    `task_id` and `redelivered` describe the message: a redelivered message of the job's
    current task may take over a job left processing by a dead worker."""
    job = _claim(job_id)
    if job is None and redelivered and task_id:
        job, outcome = _take_over(job_id, task_id)
        if job is None and outcome != "skipped":
            return outcome
    if job is None:
        logger.info("job %s is not queued; nothing to run", job_id)
        return "skipped"
    attempt = job.attempts
    progress = ProgressReporter(job_id=job.pk, attempt=attempt)
    try:
        result = processor_for(job.job_type).process(JobSpec.from_job(job), progress)
    except JobCancelled:
        return _settle(job_id, attempt, J.CANCELLED, error="Cancelled while processing.")
    except JobSuperseded:
        logger.warning("job %s: run %s stopped, the job is no longer its own", job_id, attempt)
        return "superseded"
    except NETWORK_ERRORS as exc:
        return _retry_or_fail(job_id, attempt, str(exc) or exc.__class__.__name__)
    except ProcessorError as exc:
        return _settle(job_id, attempt, J.FAILED, error=str(exc))
    except SoftTimeLimitExceeded:
        return _settle(job_id, attempt, J.FAILED, error="The job ran out of time.")
    except Exception:
        # The task boundary: an unexpected error must still settle the job and its credits.
        logger.exception("job %s crashed", job_id)
        return _settle(job_id, attempt, J.FAILED, error="The job failed unexpectedly.")
    return _settle(job_id, attempt, J.COMPLETED, result=result)
