"""Thin Celery tasks of the courses app: take ids, call one service."""

import logging
from typing import Any

from celery import shared_task
from django.conf import settings

from config.errors import DomainError
from courses.lms import sync
from courses.lms.client import CanvasTransientError

logger = logging.getLogger(__name__)


@shared_task(bind=True, max_retries=None, acks_late=True)
def lms_sync_run_task(self: Any, sync_id: int) -> None:
    """Run one LMS sync. Throttling, 5xx and network errors that outlast the client's own
    retries are retried with exponential backoff (LMS_SYNC_RETRY_BACKOFF doubling, capped)
    up to LMS_SYNC_MAX_RETRIES times, then the sync fails with the last reason. Safe to
    run twice: a finished or running sync is not claimed again."""
    try:
        sync.lms_sync_run(sync_id=sync_id)
    except CanvasTransientError as exc:
        attempt = self.request.retries
        if attempt >= settings.LMS_SYNC_MAX_RETRIES:
            sync.lms_sync_fail(sync_id=sync_id, error=f"{exc} Gave up after {attempt + 1} runs.")
            return
        countdown = sync.lms_sync_retry_countdown(attempt)
        sync.lms_sync_requeue(sync_id=sync_id, error=f"{exc} Retrying in {countdown} s.")
        raise self.retry(exc=exc, countdown=countdown) from exc
    except Exception:
        logger.exception("LMS sync %s crashed", sync_id)
        sync.lms_sync_fail(sync_id=sync_id, error="The sync failed unexpectedly.")
        raise


@shared_task(acks_late=True)
def lms_sync_all_task() -> int:
    """Nightly: queue a sync of every linked course that has none queued or running.
    Courses whose instructor has no usable token are skipped (and logged). Returns how
    many syncs were queued; running it twice queues nothing more."""
    queued = 0
    for course in sync.lms_courses_to_sync():
        try:
            sync.lms_sync_request(course=course)
        except DomainError as exc:
            logger.info("nightly LMS sync of course %s skipped: %s", course.pk, exc.message)
            continue
        queued += 1
    return queued
