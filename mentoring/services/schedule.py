"""The periodic tasks of mentoring, shown in django-celery-beat's admin from the start."""

from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS
from django_celery_beat.models import CrontabSchedule, PeriodicTask

# Beat entries of CELERY_BEAT_SCHEDULE this app owns, with their admin descriptions.
SCHEDULE_DESCRIPTIONS = {
    "mentoring-session-reminders": "Sends the 24-hour and 1-hour reminders of confirmed "
    "sessions, each once.",
    "mentoring-expire-requests": "Cancels session requests not confirmed before their start "
    "and releases their credits.",
}


def beat_schedule_ensure(*, using: str = DEFAULT_DB_ALIAS) -> list[PeriodicTask]:
    """Create the PeriodicTask rows (and their crontabs, in TIME_ZONE) that beat's
    DatabaseScheduler would create from CELERY_BEAT_SCHEDULE, under the same names, so that
    beat adopts them. Rows that exist (possibly edited in admin) are left alone."""
    tasks = []
    for name, description in SCHEDULE_DESCRIPTIONS.items():
        existing = PeriodicTask.objects.using(using).filter(name=name).first()
        if existing is not None:
            tasks.append(existing)
            continue
        entry: dict[str, Any] = settings.CELERY_BEAT_SCHEDULE[name]
        schedule = entry["schedule"]
        crontab, _ = CrontabSchedule.objects.using(using).get_or_create(
            minute=schedule._orig_minute,
            hour=schedule._orig_hour,
            day_of_week=schedule._orig_day_of_week,
            day_of_month=schedule._orig_day_of_month,
            month_of_year=schedule._orig_month_of_year,
            timezone=settings.TIME_ZONE,
        )
        tasks.append(
            PeriodicTask.objects.using(using).create(
                name=name, task=entry["task"], crontab=crontab, description=description
            )
        )
    return tasks
