"""Receivers of other apps' signals: thin, each calls one jobs service or selector."""

from typing import Any

from accounts.models import User
from jobs import selectors, services


def work_cancel_for_deleted_user(sender: Any, user: User, **kwargs: Any) -> None:
    """`accounts.signals.user_deleted`: the closed account's jobs are cancelled and their
    credits released in the same transaction; its projects are soft-deleted."""
    services.work_cancel_for_closed_account(user=user)


def personal_data_for_export(sender: Any, user: User, **kwargs: Any) -> dict[str, Any]:
    """`accounts.signals.personal_data_export`: projects, jobs, uploads, YouTube connection."""
    return {"jobs": selectors.personal_data_export(user=user)}
