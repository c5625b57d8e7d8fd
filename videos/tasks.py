"""Thin Celery tasks of the videos app: take ids, call one service."""

import logging

from celery import shared_task
from django.conf import settings

from courses import selectors as course_selectors
from videos import services
from videos.recommendations import services as recommendations
from videos.youtube import YouTubeTransientError

logger = logging.getLogger(__name__)


@shared_task(bind=True, max_retries=None, acks_late=True)
def playlist_import_run_task(self, import_id: int) -> None:  # type: ignore[no-untyped-def]
    """Run one playlist import. Quota, 5xx and network errors are retried with exponential
    backoff (YOUTUBE_IMPORT_RETRY_BACKOFF doubling, capped) up to
    YOUTUBE_IMPORT_MAX_RETRIES times, then the import is failed with the last reason.
    Safe to run twice: a finished import is not run again. An import found running (a
    message redelivered after its worker died, or a duplicate) is retried when it could
    be claimed again, past the hard time limit, rather than dropped: if its worker died,
    nothing else would finish it. That wait counts as one retry."""
    try:
        services.playlist_import_run(import_id=import_id)
    except services.PlaylistImportRunning as exc:
        raise self.retry(exc=exc, countdown=exc.retry_in) from exc
    except YouTubeTransientError as exc:
        attempt = self.request.retries
        if attempt >= settings.YOUTUBE_IMPORT_MAX_RETRIES:
            services.playlist_import_fail(
                import_id=import_id, error=f"{exc} Gave up after {attempt + 1} attempts."
            )
            return
        countdown = services.playlist_import_retry_countdown(attempt)
        services.playlist_import_requeue(
            import_id=import_id, error=f"{exc} Retrying in {countdown} s."
        )
        raise self.retry(exc=exc, countdown=countdown) from exc
    except Exception:
        logger.exception("playlist import %s crashed", import_id)
        services.playlist_import_fail(import_id=import_id, error="The import failed unexpectedly.")
        raise


@shared_task
def playlist_imports_reclaim_stale_task() -> None:
    """Beat runs this every five minutes: imports left running by a dead worker are
    requeued, or failed once out of attempts."""
    services.playlist_imports_reclaim_stale()


@shared_task(acks_late=True)
def recommendations_refresh_task(question_ids: list[int], force: bool = False) -> int:
    """Refresh these questions' videos (only changed or missing ones unless `force`).
    Safe to run twice: unchanged inputs are skipped, pinned videos are never touched."""
    result = recommendations.recommendations_refresh(question_ids=question_ids, force=force)
    return result.refreshed


@shared_task(acks_late=True)
def recommendations_refresh_course_task(course_id: int, force: bool = False) -> int:
    """Queue the refresh of every question of a course, in batches."""
    return recommendations.recommendations_refresh_course(course_id=course_id, force=force)


@shared_task(acks_late=True)
def recommendations_refresh_all_task() -> int:
    """Nightly: queue a refresh of every course with questions (missing or changed ones)."""
    return sum(
        recommendations.recommendations_refresh_course(course_id=course_id)
        for course_id in course_selectors.course_ids_with_questions()
    )
