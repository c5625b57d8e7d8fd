"""Thin Celery tasks of the jobs app: take ids, call a service.

Job runs are idempotent (the service claims the job with a conditional UPDATE), so they
acknowledge late and are redelivered when their worker dies; their time limits stay below
the broker's visibility timeout. A run whose worker died leaves the job processing: the
reaper requeues it when its heartbeat goes stale."""

import logging

from celery import shared_task
from django.conf import settings

from jobs import services

logger = logging.getLogger(__name__)


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=settings.JOBS_SOFT_TIME_LIMIT,
    time_limit=settings.JOBS_TIME_LIMIT,
    ignore_result=True,
)
def job_run_task(job_id: int) -> str:
    """Run one job (published to the queue of its priority by `queues.publish`)."""
    return services.job_run(job_id=job_id)


@shared_task(acks_late=True, ignore_result=True)
def jobs_dispatch_sweep_task() -> int:
    return services.jobs_dispatch_sweep()


@shared_task(acks_late=True, ignore_result=True)
def jobs_reap_stuck_task() -> dict[str, int]:
    jobs = services.jobs_reap_stuck()
    uploads = services.youtube_uploads_reap_stale()
    resent = services.youtube_uploads_resend_lost()
    return {
        "requeued": jobs.requeued,
        "failed": jobs.failed,
        "cancelled": jobs.cancelled,
        "uploads_failed": uploads,
        "uploads_resent": resent,
    }


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=settings.YOUTUBE_UPLOAD_SOFT_TIME_LIMIT,
    time_limit=settings.YOUTUBE_UPLOAD_TIME_LIMIT,
    ignore_result=True,
)
def youtube_upload_task(upload_id: int) -> None:
    """Upload one film to YouTube; a duplicate delivery finds it claimed and does nothing."""
    services.youtube_upload_run(upload_id=upload_id)
