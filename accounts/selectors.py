"""Reads of the accounts app."""

from typing import Any

from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.db.models import QuerySet
from django.utils import timezone

from accounts import signals
from accounts.models import (
    AuditLog,
    Credential,
    Notification,
    NotificationPreference,
    OutgoingEmail,
    User,
)
from accounts.notifications import (
    notification_list,
    notification_preferences,
    notification_unread_count,
)

__all__ = [
    "credential_get",
    "credential_metadata",
    "mask_token",
    "notification_list",
    "notification_preferences",
    "notification_unread_count",
    "personal_data_export",
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


def credential_metadata(*, user: User, provider: str) -> dict[str, Any] | None:
    """What may be shown of the user's stored credential for `provider`, read without
    decrypting anything: `token_hint` (at most the last four characters), expiry, scopes,
    `extra` and dates. None when there is none."""
    row = (
        Credential.objects.filter(user_id=user.pk, provider=provider)
        .values("provider", "token_hint", "expires_at", "scopes", "extra", "created_at")
        .first()
    )
    return dict(row) if row is not None else None


def mask_token(hint: str) -> str:
    """What the API shows of a stored token: never more than its last four characters."""
    return f"****{hint}" if hint else "****"


def request_user(request: Any) -> User:
    """The authenticated user of a request, typed. Views behind IsAuthenticated use it."""
    user = request.user
    assert isinstance(user, User)
    return user


PROFILE_EXPORT_FIELDS = (
    "id",
    "email",
    "username",
    "first_name",
    "last_name",
    "role",
    "tier",
    "is_active",
    "suspended_at",
    "suspension_reason",
    "lms_user_id",
    "date_joined",
    "last_login",
)


def _account_export(user: User) -> dict[str, Any]:
    """The accounts app's section: one query per list. Stored credentials show their
    provider and at most the last four characters of the token (read from `token_hint`, so
    nothing is decrypted); social accounts their provider and id, never provider tokens."""
    return {
        "profile": {name: getattr(user, name) for name in PROFILE_EXPORT_FIELDS},
        "email_addresses": list(
            EmailAddress.objects.filter(user_id=user.pk)
            .order_by("id")
            .values("email", "verified", "primary")
        ),
        "social_accounts": list(
            SocialAccount.objects.filter(user_id=user.pk)
            .order_by("id")
            .values("provider", "uid", "date_joined", "last_login")
        ),
        "credentials": [
            {
                "provider": row["provider"],
                "last_four": row["token_hint"],
                "expires_at": row["expires_at"],
                "created_at": row["created_at"],
                "updated_at": row["updated_at"],
            }
            for row in Credential.objects.filter(user_id=user.pk)
            .order_by("provider")
            .values("provider", "token_hint", "expires_at", "created_at", "updated_at")
        ],
        "notifications": list(
            Notification.objects.filter(user_id=user.pk)
            .order_by("created_at", "id")
            .values("id", "type", "title", "body", "data", "read_at", "created_at")
        ),
        "emails": list(
            OutgoingEmail.objects.filter(user_id=user.pk)
            .order_by("created_at", "id")
            .values("type", "data", "status", "created_at", "sent_at")
        ),
        "notification_preferences": list(
            NotificationPreference.objects.filter(user_id=user.pk)
            .order_by("type")
            .values("type", "email", "in_app")
        ),
        "staff_actions": list(
            AuditLog.objects.filter(target_type=User._meta.label_lower, target_id=str(user.pk))
            .order_by("created_at", "id")
            .values("action", "reason", "created_at")
        ),
    }


def personal_data_export(*, user: User) -> dict[str, Any]:
    """Everything the platform holds about `user`, as JSON-ready data: the accounts
    section, and one section per app that answers `signals.personal_data_export`. A fixed
    number of queries whatever the number of rows. A receiver that fails makes the export
    fail: an export must never be silently incomplete."""
    sections: dict[str, Any] = {"account": _account_export(user)}
    for receiver, response in signals.personal_data_export.send(sender=User, user=user):
        if not isinstance(response, dict):
            raise TypeError(f"{receiver!r} answered the export with {type(response).__name__}")
        for name, data in response.items():
            if name in sections:
                raise ValueError(f"export section {name!r} sent twice (by {receiver!r})")
            sections[name] = data
    return {
        "exported_at": timezone.now(),
        "user_id": user.pk,
        **dict(sorted(sections.items())),
    }
