"""Receivers of other apps' signals: thin, each calls one credits service."""

from typing import Any

from django.db import connections

from accounts.models import User
from credits import selectors, services


def account_create_for_new_user(sender: Any, user: User, **kwargs: Any) -> None:
    """`accounts.signals.user_created`: the account is created in the transaction that
    creates the user."""
    services.account_create(user=user)


def personal_data_for_export(sender: Any, user: User, **kwargs: Any) -> dict[str, Any]:
    """`accounts.signals.personal_data_export`: the user's balances and ledger."""
    return {"credits": selectors.personal_data_export(user_id=user.pk)}


def beat_schedule_ensure_after_migrate(sender: Any, using: str, **kwargs: Any) -> None:
    """`post_migrate`: the monthly reset shows in admin before beat first runs."""
    if "django_celery_beat_periodictask" in connections[using].introspection.table_names():
        services.beat_schedule_ensure(using=using)
