"""Thin Celery tasks of the attendance app."""

from datetime import date, timedelta
from typing import Any

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from attendance import services


@shared_task(bind=True, max_retries=10, soft_time_limit=10 * 60, time_limit=11 * 60)
def close_previous_day(self: Any, day: str | None = None) -> dict[str, Any]:
    """Beat runs this every day at 00:15 (TIME_ZONE) to close the day before; `day`
    (YYYY-MM-DD) closes another past day. Safe to run again: a closed day stays as it is.
    A database failure or the time limit retries the same day, even after midnight."""
    target = date.fromisoformat(day) if day else timezone.localdate() - timedelta(days=1)
    try:
        result = services.attendance_day_close(day=target)
    except (OperationalError, InterfaceError, SoftTimeLimitExceeded) as exc:
        raise self.retry(exc=exc, kwargs={"day": target.isoformat()}, countdown=60) from exc
    return result.as_dict()
