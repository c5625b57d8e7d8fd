"""Receivers of other apps' domain events. Thin: each enqueues a task. Connected in
`VideosConfig.ready()` with a dispatch_uid."""

from typing import Any

from config.celery import send_after_commit
from videos.tasks import recommendations_refresh_course_task


def refresh_course_recommendations(sender: Any, course_id: int, **kwargs: Any) -> None:
    """A course's context or quiz results changed: refresh its questions' videos (only the
    ones whose inputs changed). Both signals fire after commit, so the task can be queued
    at once."""
    send_after_commit(
        recommendations_refresh_course_task, course_id, lost="the nightly refresh catches up"
    )
