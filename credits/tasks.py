"""Thin Celery tasks of the credits app."""

from typing import Any

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.db import InterfaceError, OperationalError

from credits import services


@shared_task(bind=True, max_retries=10, soft_time_limit=30 * 60, time_limit=31 * 60)
def reset_monthly_credits(self: Any, period: str | None = None) -> int:
    """Beat runs this at midnight (TIME_ZONE) on the 1st. Safe to run again or to resume
    after a crash: accounts already reset for the period are skipped. A database failure or
    the time limit retries the same period, which continues where it stopped. Returns how
    many accounts' allowances changed."""
    period = period or services.current_period()
    try:
        return services.reset_monthly_credits(period=period).transactions_written
    except (OperationalError, InterfaceError, SoftTimeLimitExceeded) as exc:
        raise self.retry(exc=exc, kwargs={"period": period}, countdown=60) from exc
