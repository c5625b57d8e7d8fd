"""Receivers of other apps' domain events. Thin: each enqueues a task or calls one
selector. Connected in `VideosConfig.ready()` with a dispatch_uid."""

from typing import Any

from config.celery import send_after_commit
from videos import selectors
from videos.tasks import recommendations_refresh_course_task


def refresh_course_recommendations(sender: Any, course_id: int, **kwargs: Any) -> None:
    """A course's context or quiz results changed: refresh its questions' videos (only the
    ones whose inputs changed). Both signals fire after commit, so the task can be queued
    at once."""
    send_after_commit(
        recommendations_refresh_course_task, course_id, lost="the nightly refresh catches up"
    )


def personal_data_for_export(sender: Any, user: Any, **kwargs: Any) -> dict[str, Any]:
    """`accounts.signals.personal_data_export`: the playlist imports the user asked for."""
    return {"videos": selectors.personal_data_export(user_id=user.pk)}
