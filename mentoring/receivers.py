"""Receivers of framework signals: thin, each calls one mentoring service."""

from typing import Any

from django.db import connections

from mentoring import services


def beat_schedule_ensure_after_migrate(sender: Any, using: str, **kwargs: Any) -> None:
    """`post_migrate`: the reminder and expiry schedules show in admin before beat first
    runs."""
    if "django_celery_beat_periodictask" in connections[using].introspection.table_names():
        services.beat_schedule_ensure(using=using)
