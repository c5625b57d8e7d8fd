"""Receivers: cache invalidation for the progress endpoint's cached lookups, and the beat
schedule after migrate. Thin: each forgets one cached answer or calls one service."""

from typing import Any

from django.db import connections, transaction

from attendance import selectors, services


def _forget(function: Any, **kwargs: Any) -> None:
    """Forget now, and again after commit: a request that re-read the old row before the
    change committed may have cached it in between."""
    function.invalidate(**kwargs)
    transaction.on_commit(lambda: function.invalidate(**kwargs))


def enrollment_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    """`post_save`/`post_delete` of courses.Enrollment: registration, re-activation, drop,
    completion, admin edits."""
    _forget(selectors.enrollment_active, user_id=instance.user_id, course_id=instance.course_id)


def video_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    """`post_save`/`post_delete` of videos.Video: duration, availability, course."""
    _forget(selectors.video_facts, video_id=instance.pk)


def personal_data_for_export(sender: Any, user: Any, **kwargs: Any) -> dict[str, Any]:
    """`accounts.signals.personal_data_export`: attendance and watch progress."""
    return {"attendance": selectors.personal_data_export(user_id=user.pk)}


def beat_schedule_ensure_after_migrate(sender: Any, using: str, **kwargs: Any) -> None:
    """`post_migrate`: the daily close shows in admin before beat first runs."""
    if "django_celery_beat_periodictask" in connections[using].introspection.table_names():
        services.beat_schedule_ensure(using=using)
