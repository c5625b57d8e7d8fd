"""Writes of the accounts app: one function per use case, each one transaction."""

import logging
import time
from datetime import datetime
from typing import Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Model
from django.utils import timezone
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from accounts import lockout, signals
from accounts.fields import DecryptionError, rotate
from accounts.models import (
    AuditLog,
    Credential,
    Notification,
    NotificationPreference,
    OutgoingEmail,
    User,
)
from accounts.notifications import (
    notification_mark_read,
    notification_preferences_update,
    notifications_mark_all_read,
    notify,
)
from accounts.tokens import AUTH_TIME_CLAIM, TOKEN_VERSION_CLAIM, TokenPair, token_pair_for
from accounts.user_cache import user_cache_forget
from config.celery import send_after_commit
from config.errors import Conflict, NotAuthenticated, PermissionDenied, ValidationFailed

logger = logging.getLogger(__name__)

__all__ = [
    "account_delete",
    "audit_record",
    "credential_delete",
    "credential_store",
    "credentials_rotate_keys",
    "login",
    "logout",
    "notification_mark_read",
    "notification_preferences_update",
    "notifications_mark_all_read",
    "notify",
    "password_change",
    "password_reset_confirm",
    "password_reset_request",
    "tokens_revoke_all",
    "user_create",
    "user_delete",
    "user_reactivate",
    "user_save_by_staff",
    "user_suspend",
    "user_update",
]

USER_AUDIT_FIELDS = ("email", "username", "first_name", "last_name", "role", "tier", "is_active")


def audit_record(
    *,
    actor: User | None,
    action: str,
    target: Model,
    reason: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditLog:
    """Append an audit entry. Call it inside the transaction of the action it records."""
    return AuditLog.objects.create(
        actor=actor,
        action=action,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        reason=reason,
        before=before or {},
        after=after or {},
    )


def _snapshot(user: User) -> dict[str, Any]:
    return {name: getattr(user, name) for name in USER_AUDIT_FIELDS}


def _validate_password(password: str, user: User | None, field: str = "password") -> None:
    try:
        password_validation.validate_password(password, user)
    except DjangoValidationError as exc:
        raise ValidationFailed(
            "Invalid input: " + field + ".", errors={field: exc.messages}
        ) from exc


def _check_unique(*, email: str, username: str, exclude_pk: int | None = None) -> None:
    errors: dict[str, list[str]] = {}
    users = User.objects.exclude(pk=exclude_pk) if exclude_pk else User.objects.all()
    if email and users.filter(email__iexact=email).exists():
        errors["email"] = ["A user with this email already exists."]
    if username and users.filter(username__iexact=username).exists():
        errors["username"] = ["A user with this username already exists."]
    if errors:
        raise ValidationFailed("Invalid input: " + ", ".join(errors) + ".", errors=errors)


@transaction.atomic
def user_create(
    *,
    email: str,
    username: str,
    password: str | None,
    first_name: str = "",
    last_name: str = "",
    role: str = User.Role.STUDENT,
    tier: str = User.Tier.FREE,
    acting_user: User | None = None,
) -> User:
    """Create a user (and, through `user_created`, their credit account) and welcome them
    (in-app entry now, email after commit). Staff may create admins; signup may not
    (checked by the caller)."""
    email = User.objects.normalize_email(email).lower()
    _check_unique(email=email, username=username)
    user = User(
        email=email,
        username=username,
        first_name=first_name,
        last_name=last_name,
        role=role,
        tier=tier,
        is_staff=role == User.Role.ADMIN,
    )
    if password is None:
        user.set_unusable_password()
    else:
        _validate_password(password, user)
        user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:
        raise ValidationFailed(
            "Invalid input: email, username.",
            errors={"email": ["A user with this email or username already exists."]},
        ) from exc
    signals.user_created.send(sender=User, user=user)
    if acting_user is not None:
        audit_record(actor=acting_user, action="user.create", target=user, after=_snapshot(user))
    notify(user=user, type=Notification.Type.WELCOME)
    return user


@transaction.atomic
def user_update(*, user: User, acting_user: User, data: dict[str, Any]) -> User:
    """Update profile fields. Only staff may change role or tier; the caller's serializer
    decides which fields a user may send for themselves."""
    before = _snapshot(user)
    email = data.get("email")
    if email is not None:
        data["email"] = User.objects.normalize_email(email).lower()
    _check_unique(
        email=data.get("email", ""), username=data.get("username", ""), exclude_pk=user.pk
    )
    for name, value in data.items():
        setattr(user, name, value)
    if "role" in data:
        user.is_staff = user.role == User.Role.ADMIN
    user.save()
    if acting_user.pk != user.pk:
        audit_record(
            actor=acting_user,
            action="user.update",
            target=user,
            before=before,
            after=_snapshot(user),
        )
    return user


STAFF_EDIT_AUDIT_FIELDS = (*USER_AUDIT_FIELDS, "is_staff", "is_superuser", "lms_user_id")


@transaction.atomic
def user_save_by_staff(*, user: User, acting_user: User, reason: str = "") -> User:
    """Save a user edited field by field by staff (the Django admin change form) and audit
    it, with the fields that changed before and after. Taking away `is_active` or staff
    rights revokes the user's tokens, as suspension does."""
    stored = User.objects.select_for_update().get(pk=user.pk)
    before = {name: getattr(stored, name) for name in STAFF_EDIT_AUDIT_FIELDS}
    user.save()
    after = {name: getattr(user, name) for name in STAFF_EDIT_AUDIT_FIELDS}
    changed = sorted(name for name in STAFF_EDIT_AUDIT_FIELDS if before[name] != after[name])
    if (before["is_active"] and not user.is_active) or (before["is_staff"] and not user.is_staff):
        tokens_revoke_all(user=user)
    if changed:
        audit_record(
            actor=acting_user,
            action="user.update",
            target=user,
            reason=reason,
            before={name: before[name] for name in changed},
            after={name: after[name] for name in changed},
        )
    return user


def _lock_user(user: User) -> None:
    """Reload `user` under a row lock for the rest of the transaction, so that a staff
    action's check (already suspended? already deleted?) still holds when it writes, however
    many staff act at once. The one place user rows are locked."""
    user.refresh_from_db(from_queryset=User.objects.select_for_update())


def tokens_revoke_all(*, user: User) -> None:
    """Every token issued so far stops working: access tokens through `token_version`,
    refresh tokens through the blacklist."""
    User.objects.filter(pk=user.pk).update(token_version=F("token_version") + 1)
    user_cache_forget(user_id=user.pk)
    user.refresh_from_db(fields=["token_version"])
    outstanding = OutstandingToken.objects.filter(user=user, blacklistedtoken__isnull=True)
    BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=token) for token in outstanding], ignore_conflicts=True
    )


@transaction.atomic
def user_suspend(*, user: User, acting_user: User, reason: str) -> User:
    if user.pk == acting_user.pk:
        raise Conflict("You cannot suspend yourself.", code="cannot_suspend_self")
    _lock_user(user)
    if user.is_suspended:
        raise Conflict("The user is already suspended.", code="already_suspended")
    before = _snapshot(user)
    user.is_active = False
    user.suspended_at = timezone.now()
    user.suspension_reason = reason
    user.save(update_fields=["is_active", "suspended_at", "suspension_reason"])
    tokens_revoke_all(user=user)
    audit_record(
        actor=acting_user,
        action="user.suspend",
        target=user,
        reason=reason,
        before=before,
        after=_snapshot(user),
    )
    return user


@transaction.atomic
def user_reactivate(*, user: User, acting_user: User, reason: str = "") -> User:
    _lock_user(user)
    if not user.is_suspended:
        raise Conflict("The user is not suspended.", code="not_suspended")
    before = _snapshot(user)
    user.is_active = True
    user.suspended_at = None
    user.suspension_reason = ""
    user.save(update_fields=["is_active", "suspended_at", "suspension_reason"])
    audit_record(
        actor=acting_user,
        action="user.reactivate",
        target=user,
        reason=reason,
        before=before,
        after=_snapshot(user),
    )
    return user


PERSONAL_FIELDS = ("email", "username", "first_name", "last_name")


def _audit_trail_anonymise(user: User) -> None:
    """Earlier audit records about the user keep what happened but no longer name them:
    the personal fields of their before/after snapshots take the anonymised values."""
    entries = list(
        AuditLog.objects.filter(target_type=User._meta.label_lower, target_id=str(user.pk))
    )
    for entry in entries:
        for snapshot in (entry.before, entry.after):
            for name in PERSONAL_FIELDS:
                if name in snapshot:
                    snapshot[name] = getattr(user, name)
    AuditLog.objects.bulk_update(entries, ["before", "after"])


def _anonymise(*, user: User, acting_user: User, reason: str) -> None:
    """Close a locked, not yet deleted account (the shared part of `user_delete` and
    `account_delete`). The row stays so that ledger and attendance totals keep adding up;
    personal data, sign-in methods, stored credentials, the inbox and every token go, then
    every app cleans up through `user_deleted`, all in the caller's transaction."""
    before = {name: getattr(user, name) for name in ("role", "tier", "is_active")}
    user.email = f"deleted-{user.pk}@deleted.invalid"
    user.username = f"deleted-{user.pk}"
    user.first_name = ""
    user.last_name = ""
    user.lms_user_id = ""
    user.is_active = False
    user.deleted_at = timezone.now()
    user.set_unusable_password()
    user.save()
    Credential.objects.filter(user=user).delete()
    user.socialaccount_set.all().delete()  # type: ignore[attr-defined]
    EmailAddress.objects.filter(user=user).delete()
    Notification.objects.filter(user=user).delete()
    OutgoingEmail.objects.filter(user=user).delete()
    NotificationPreference.objects.filter(user=user).delete()
    tokens_revoke_all(user=user)
    _audit_trail_anonymise(user)
    signals.user_deleted.send(sender=User, user=user)
    audit_record(actor=acting_user, action="user.delete", target=user, reason=reason, before=before)


@transaction.atomic
def user_delete(*, user: User, acting_user: User, reason: str = "") -> None:
    """Staff close someone's account: personal data anonymised, every token and stored
    credential revoked (see `_anonymise`)."""
    if user.pk == acting_user.pk:
        raise Conflict("You cannot delete your own account.", code="cannot_delete_self")
    _lock_user(user)
    if user.deleted_at is not None:
        raise Conflict("The user is already deleted.", code="already_deleted")
    _anonymise(user=user, acting_user=acting_user, reason=reason)


@transaction.atomic
def account_delete(
    *,
    user: User,
    password: str = "",
    confirm_email: str = "",
    auth_time: int | None = None,
    ip: str = "",
) -> None:
    """A user closes their own account, confirming with their current password. A wrong
    password changes nothing and counts as a failed login for the account and the IP
    (`lockout`), so a stolen access token cannot be used to guess the password; while
    locked out the answer is 429. A second call for a closed account is a 409.

    A user without a password (social sign-in only) confirms with their email address
    instead, and must have signed in within ACCOUNT_DELETE_REAUTH_SECONDS (`auth_time` of
    the access token: refreshing does not count), so an old stolen token cannot do it."""
    identifier = user.email
    lockout.check(identifier=identifier, ip=ip)
    _lock_user(user)
    if user.deleted_at is not None:
        raise Conflict("The account is already deleted.", code="already_deleted")
    if not user.has_usable_password():
        _confirm_without_password(user=user, confirm_email=confirm_email, auth_time=auth_time)
        _anonymise(user=user, acting_user=user, reason="Closed by the account holder.")
        return
    if not password:
        raise ValidationFailed(
            "Invalid input: password.", errors={"password": ["This field is required."]}
        )
    if not user.check_password(password):
        lockout.record_failure(identifier=identifier, ip=ip)
        raise ValidationFailed("Invalid input: password.", errors={"password": ["Wrong password."]})
    lockout.record_success(identifier=identifier)
    _anonymise(user=user, acting_user=user, reason="Closed by the account holder.")


def _confirm_without_password(*, user: User, confirm_email: str, auth_time: int | None) -> None:
    if confirm_email.strip().lower() != user.email.lower():
        raise ValidationFailed(
            "Invalid input: confirm_email.",
            errors={"confirm_email": ["Type the account's email address to confirm."]},
        )
    max_age = settings.ACCOUNT_DELETE_REAUTH_SECONDS
    if auth_time is None or time.time() - auth_time > max_age:
        raise PermissionDenied(
            f"Sign in again (within the last {max_age // 60} minutes) to close the account.",
            code="reauthentication_required",
        )


def login(*, identifier: str, password: str, ip: str = "") -> TokenPair:
    """Email or username plus password. Wrong credentials are 401 whichever part was wrong;
    a suspended user with the right password is told they are suspended (403). Repeated
    failures for one identifier or one IP lock further attempts out for a cool-down (429)."""
    identifier = identifier.strip()
    lockout.check(identifier=identifier, ip=ip)
    try:
        user = _authenticate(identifier=identifier, password=password)
    except NotAuthenticated:
        lockout.record_failure(identifier=identifier, ip=ip)
        raise
    lockout.record_success(identifier=identifier)
    if not user.is_active:
        raise PermissionDenied("This account is suspended.", code="account_suspended")
    User.objects.filter(pk=user.pk).update(last_login=timezone.now())
    user_cache_forget(user_id=user.pk)
    return token_pair_for(user)


def _authenticate(*, identifier: str, password: str) -> User:
    lookup = (
        {"email__iexact": identifier} if "@" in identifier else {"username__iexact": identifier}
    )
    user = User.objects.filter(**lookup, deleted_at__isnull=True).first()
    if user is None:
        User().set_password(password)  # same hashing cost whether or not the user exists
        raise NotAuthenticated("Invalid credentials.", code="invalid_credentials")
    if not user.check_password(password):
        raise NotAuthenticated("Invalid credentials.", code="invalid_credentials")
    return user


@transaction.atomic
def tokens_refresh(*, refresh: str) -> TokenPair:
    """Rotate a refresh token: the presented one is blacklisted and a new pair is issued.

    The token's outstanding row is locked before the blacklist check, so two concurrent
    requests with the same token cannot both redeem it; the user must still be active and
    the token not older than the user's token version."""
    invalid = NotAuthenticated("Token is invalid, expired or already used.", code="token_not_valid")
    try:
        token = RefreshToken(refresh)  # type: ignore[arg-type]
    except TokenError:
        raise invalid from None
    outstanding = (
        OutstandingToken.objects.select_for_update(of=("self",))
        .filter(jti=token.get("jti"))
        .first()
    )
    if outstanding is None or BlacklistedToken.objects.filter(token=outstanding).exists():
        raise invalid
    user = User.objects.filter(pk=token.get("user_id")).first()
    if user is None or not user.is_active or user.deleted_at is not None:
        raise NotAuthenticated("User is inactive or deleted.", code="token_not_valid")
    if token.get(TOKEN_VERSION_CLAIM) != user.token_version:
        raise NotAuthenticated("Token has been revoked.", code="token_revoked")
    BlacklistedToken.objects.create(token=outstanding)
    auth_time = token.get(AUTH_TIME_CLAIM)
    return token_pair_for(user, auth_time=auth_time if isinstance(auth_time, int) else 0)


def logout(*, user: User, refresh: str) -> None:
    try:
        token = RefreshToken(refresh)  # type: ignore[arg-type]
    except TokenError as exc:
        raise ValidationFailed("Invalid refresh token.", errors={"refresh": [str(exc)]}) from exc
    if str(token.get("user_id")) != str(user.pk):
        raise ValidationFailed(
            "Invalid refresh token.", errors={"refresh": ["Token does not belong to you."]}
        )
    token.blacklist()


@transaction.atomic
def password_change(*, user: User, old_password: str, new_password: str) -> TokenPair:
    """Change the password; every other token of the user stops working and a fresh pair
    is returned for the caller's own session."""
    if not user.check_password(old_password):
        raise ValidationFailed(
            "Invalid input: old_password.", errors={"old_password": ["Wrong password."]}
        )
    _validate_password(new_password, user, field="new_password")
    user.set_password(new_password)
    user.save(update_fields=["password"])
    tokens_revoke_all(user=user)
    return token_pair_for(user)


def password_reset_request(*, email: str) -> None:
    """Send a one-time reset link if an active user has this email. Answers the same either
    way: callers must not learn whether the account exists."""
    user = User.objects.filter(email__iexact=email.strip(), is_active=True).first()
    if user is None or not user.has_usable_password():
        return
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    from accounts.tasks import send_password_reset_email

    send_after_commit(send_password_reset_email, user.pk, uid, token, lost="the user may ask again")


@transaction.atomic
def password_reset_confirm(*, uid: str, token: str, new_password: str) -> None:
    """Set a new password from a reset link. The token is single-use: it is derived from the
    password hash, so it stops verifying once the password changes."""
    invalid = ValidationFailed(
        "The reset link is invalid or has expired.",
        code="invalid_reset_link",
        errors={"token": ["Invalid or expired."]},
    )
    try:
        pk = int(force_str(urlsafe_base64_decode(uid)))
    except (TypeError, ValueError, OverflowError, UnicodeDecodeError):
        raise invalid from None
    user = User.objects.select_for_update().filter(pk=pk, is_active=True).first()
    if user is None or not default_token_generator.check_token(user, token):
        raise invalid
    _validate_password(new_password, user, field="new_password")
    user.set_password(new_password)
    user.save(update_fields=["password"])
    tokens_revoke_all(user=user)


@transaction.atomic
def credential_store(
    *,
    user: User,
    provider: str,
    access_token: str,
    refresh_token: str = "",
    expires_at: datetime | None = None,
    scopes: list[str] | None = None,
    extra: dict[str, Any] | None = None,
) -> Credential:
    """Create or replace the user's token for `provider`, encrypted at rest."""
    if not access_token:
        raise ValidationFailed(
            "Invalid input: access_token.", errors={"access_token": ["This field is required."]}
        )
    credential, _ = Credential.objects.update_or_create(
        user=user,
        provider=provider,
        defaults={
            "access_token": access_token,
            "refresh_token": refresh_token,
            "token_hint": access_token[-4:] if len(access_token) >= 12 else "",
            "expires_at": expires_at,
            "scopes": scopes or [],
            "extra": extra or {},
        },
    )
    return credential


def credential_delete(*, user: User, provider: str) -> bool:
    deleted, _ = Credential.objects.filter(user=user, provider=provider).delete()
    return deleted > 0


def credentials_rotate_keys() -> int:
    """Re-encrypt every stored token under the newest key; returns how many rows changed.

    Works on the raw column (the field would decrypt on read and re-encrypt on write, which
    also works, but this keeps plaintext out of Python objects). Each row is written only if
    it still holds what was read, so a token stored meanwhile (already under the newest key)
    is never overwritten with the old one. All or nothing: one value that no configured key
    decrypts raises `DecryptionError` and nothing changes."""
    table = connection.ops.quote_name(Credential._meta.db_table)
    count = 0
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SELECT id, access_token, refresh_token FROM {table}")  # noqa: S608
        for pk, access, refresh in cursor.fetchall():
            try:
                rotated = [rotate(access), rotate(refresh) if refresh else refresh]
            except DecryptionError as exc:
                raise DecryptionError(
                    f"credential {pk} cannot be decrypted with any configured key; "
                    "nothing was re-encrypted"
                ) from exc
            cursor.execute(
                f"UPDATE {table} SET access_token = %s, refresh_token = %s "  # noqa: S608
                "WHERE id = %s AND access_token = %s AND refresh_token = %s",
                [*rotated, pk, access, refresh],
            )
            count += cursor.rowcount
    return count
