"""Receivers of framework signals: thin, each calls one mentoring service."""

from typing import Any

from django.db import connections

from accounts.models import User
from mentoring import selectors, services


def sessions_cancel_for_deleted_user(sender: Any, user: User, **kwargs: Any) -> None:
    """`accounts.signals.user_deleted`: the closed account's upcoming sessions are
    cancelled in the same transaction, so no credits stay held for them."""
    services.sessions_cancel_for_closed_account(user=user)


def mentor_profile_close_for_deleted_user(sender: Any, user: User, **kwargs: Any) -> None:
    """`accounts.signals.user_deleted`, after the sessions: a closed mentor's profile is
    unlisted and emptied of what describes them."""
    services.mentor_profile_close_for_closed_account(user=user)


def personal_data_for_export(sender: Any, user: User, **kwargs: Any) -> dict[str, Any]:
    """`accounts.signals.personal_data_export`: profile, sessions, messages, reviews."""
    return {"mentoring": selectors.personal_data_export(user=user)}


def beat_schedule_ensure_after_migrate(sender: Any, using: str, **kwargs: Any) -> None:
    """`post_migrate`: the reminder and expiry schedules show in admin before beat first
    runs."""
    if "django_celery_beat_periodictask" in connections[using].introspection.table_names():
        services.beat_schedule_ensure(using=using)
