"""Reads of the accounts app."""

from typing import Any

from django.db.models import QuerySet

from accounts.models import Credential, User
from accounts.notifications import (
    notification_list,
    notification_preferences,
    notification_unread_count,
)

__all__ = [
    "credential_get",
    "mask_token",
    "notification_list",
    "notification_preferences",
    "notification_unread_count",
    "request_user",
    "user_get",
    "user_list",
]


def user_list() -> QuerySet[User]:
    return User.objects.filter(deleted_at__isnull=True).order_by("id")


def user_get(*, user_id: int) -> User | None:
    return User.objects.filter(pk=user_id).first()


def credential_get(*, user: User, provider: str) -> Credential | None:
    return Credential.objects.filter(user=user, provider=provider).first()


def mask_token(hint: str) -> str:
    """What the API shows of a stored token: never more than its last four characters."""
    return f"****{hint}" if hint else "****"


def request_user(request: Any) -> User:
    """The authenticated user of a request, typed. Views behind IsAuthenticated use it."""
    user = request.user
    assert isinstance(user, User)
    return user
