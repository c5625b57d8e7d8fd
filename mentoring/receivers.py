"""Receivers of framework signals: thin, each calls one mentoring service."""

from typing import Any

from django.db import connections

from accounts.models import User
from mentoring import services


def sessions_cancel_for_deleted_user(sender: Any, user: User, **kwargs: Any) -> None:
    """`accounts.signals.user_deleted`: the closed account's upcoming sessions are
    cancelled in the same transaction, so no credits stay held for them."""
    services.sessions_cancel_for_closed_account(user=user)


def beat_schedule_ensure_after_migrate(sender: Any, using: str, **kwargs: Any) -> None:
    """`post_migrate`: the reminder and expiry schedules show in admin before beat first
    runs."""
    if "django_celery_beat_periodictask" in connections[using].introspection.table_names():
        services.beat_schedule_ensure(using=using)
