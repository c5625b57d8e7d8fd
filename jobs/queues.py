"""The jobs app's only contact with the broker: publishing a job run to the queue of its
priority, and revoking a published run.

Priority is carried by the queue, not by message priorities (which the Redis transport
only approximates): "high", "normal" and "low" (prefixed with JOBS_QUEUE_PREFIX), consumed
in that order by workers started with `-Q high,normal,low` and a prefetch multiplier of 1
(and, on Redis, `queue_order_strategy: priority`, so the order is kept)."""

import logging
from typing import Any

from celery import current_app
from django.conf import settings
from kombu.exceptions import OperationalError

from jobs.models import Job

logger = logging.getLogger(__name__)

QUEUE_BY_PRIORITY: dict[int, str] = {
    Job.Priority.HIGH: "high",
    Job.Priority.NORMAL: "normal",
    Job.Priority.LOW: "low",
}
# Publishing happens after commit, often inside a web request: give up quickly when the
# broker is down (the dispatch sweep publishes the job later).
PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}


class PublishFailed(Exception):
    """The broker could not be reached; the job stays undispatched."""


def queue_name(priority: int) -> str:
    return f"{settings.JOBS_QUEUE_PREFIX}{QUEUE_BY_PRIORITY[priority]}"


def queue_names() -> list[str]:
    """Every job queue, highest priority first: the order workers consume them in."""
    return [queue_name(priority) for priority in sorted(QUEUE_BY_PRIORITY, reverse=True)]


def publish(*, job_id: int, priority: int, task_id: str, countdown: int = 0) -> None:
    """Send one run of the job to its priority's queue."""
    from jobs.tasks import job_run_task  # the tasks module imports the services

    options: dict[str, Any] = {"countdown": countdown} if countdown else {}
    try:
        job_run_task.apply_async(
            args=(job_id,),
            queue=queue_name(priority),
            task_id=task_id,
            retry=True,
            retry_policy=PUBLISH_RETRY_POLICY,
            **options,
        )
    except (OperationalError, OSError) as exc:
        raise PublishFailed(str(exc)) from exc


def revoke(task_id: str) -> None:
    """Ask workers to drop a published run. Best effort: a run that still arrives finds its
    job no longer queued and does nothing."""
    if not task_id:
        return
    try:
        current_app.control.revoke(task_id)
    except (OperationalError, OSError):
        logger.warning("could not revoke task %s; the job's claim check will skip it", task_id)
