"""Receivers of other apps' signals: thin, each calls one courses service or selector."""

from typing import Any

from accounts.models import User
from courses import selectors, services


def enrollments_drop_for_deleted_user(sender: Any, user: User, **kwargs: Any) -> None:
    """`accounts.signals.user_deleted`: the closed account's seats are freed in the same
    transaction."""
    services.enrollments_drop_for_closed_account(user=user)


def personal_data_for_export(sender: Any, user: User, **kwargs: Any) -> dict[str, Any]:
    """`accounts.signals.personal_data_export`: enrollments, quiz answers, invitations and
    courses taught."""
    return {"courses": selectors.personal_data_export(user=user)}
