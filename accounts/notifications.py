"""Notifications: the one way any app tells a user something.

`notify(user=, type=, data=)` delivers on the channels the user's preferences allow for the
type (both by default):
- `in_app`: a Notification row, written in the caller's transaction, so it exists exactly
  when the change it reports was committed;
- `email`: a Celery task queued after that transaction commits, retried on mail-server
  errors. Without SMTP configured the console backend logs the email instead.

Each type has three templates under `templates/notifications/<type>/`: `subject.txt`,
`body.txt` and `body.html`, rendered by Django templates with `data` (plus `user`, `name`,
`platform_name`, `frontend_url`). The in-app entry's title is the subject and its body the
text template rendered with `in_app` set (no greeting or signature).

Reads (the inbox, the unread count, preferences) live here too, as the selectors of this
part of accounts."""

import json
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.models import Notification, NotificationPreference, OutgoingEmail, User
from config.celery import send_after_commit
from config.errors import NotFound, ValidationFailed

logger = logging.getLogger(__name__)

NotificationType = Notification.Type
EMAIL = "email"
IN_APP = "in_app"
CHANNELS = (EMAIL, IN_APP)


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


# --- preferences ----------------------------------------------------------------------------


def channel_defaults(notification_type: str) -> dict[str, bool]:
    """The channels of a type for a user who has not chosen: NOTIFICATION_DEFAULT_CHANNELS,
    overridden per type by NOTIFICATION_TYPE_CHANNELS."""
    defaults = {
        channel: bool(settings.NOTIFICATION_DEFAULT_CHANNELS[channel]) for channel in CHANNELS
    }
    defaults.update(settings.NOTIFICATION_TYPE_CHANNELS.get(notification_type, {}))
    return defaults


def notification_preferences(*, user: User) -> list[dict[str, Any]]:
    """Every type with the user's channels (their choice or the default), in one query."""
    rows = {row.type: row for row in NotificationPreference.objects.filter(user_id=user.pk)}
    result = []
    for notification_type in NotificationType.values:
        row = rows.get(notification_type)
        channels = (
            {EMAIL: row.email, IN_APP: row.in_app}
            if row is not None
            else channel_defaults(notification_type)
        )
        result.append({"type": notification_type, **channels})
    return result


def _channels_enabled(*, user: User, notification_type: str) -> set[str]:
    row = NotificationPreference.objects.filter(user_id=user.pk, type=notification_type).first()
    channels = (
        {EMAIL: row.email, IN_APP: row.in_app}
        if row is not None
        else channel_defaults(notification_type)
    )
    return {channel for channel, enabled in channels.items() if enabled}


@transaction.atomic
def notification_preferences_update(
    *, user: User, changes: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Set channels per type. Each change names a `type` and any of `email` and `in_app`;
    a channel it leaves out keeps its current value. One row per (user, type), upserted
    on the unique constraint."""
    current = {row["type"]: row for row in notification_preferences(user=user)}
    seen: set[str] = set()
    for change in changes:
        notification_type = change["type"]
        if notification_type not in current:
            raise ValidationFailed(
                "Invalid input: type.", errors={"type": [f"Unknown type {notification_type!r}."]}
            )
        if notification_type in seen:
            raise ValidationFailed(
                "Invalid input: type.",
                errors={"type": [f"{notification_type!r} is listed more than once."]},
            )
        seen.add(notification_type)
        values = {
            channel: bool(change.get(channel, current[notification_type][channel]))
            for channel in CHANNELS
        }
        NotificationPreference.objects.update_or_create(
            user=user, type=notification_type, defaults=values
        )
    return notification_preferences(user=user)


# --- rendering and sending -----------------------------------------------------------------


def _json_ready(data: dict[str, Any] | None) -> dict[str, Any]:
    """`data` as plain JSON values (datetimes, decimals and UUIDs as strings): it is stored
    in a JSON column and travels to the email task through the broker."""
    return json.loads(json.dumps(data or {}, cls=DjangoJSONEncoder))  # type: ignore[no-any-return]


def _context(user: User, data: dict[str, Any], *, in_app: bool = False) -> dict[str, Any]:
    return {
        **data,
        "data": data,
        "user": user,
        "name": user.first_name or user.username,
        "platform_name": settings.PLATFORM_NAME,
        "frontend_url": settings.FRONTEND_URL,
        "in_app": in_app,
    }


def _subject(notification_type: str, context: dict[str, Any]) -> str:
    text = render_to_string(f"notifications/{notification_type}/subject.txt", context)
    return " ".join(text.split())


def render(*, user: User, notification_type: str, data: dict[str, Any]) -> Rendered:
    """The subject, text and HTML email of a notification."""
    context = _context(user, data)
    folder = f"notifications/{notification_type}"
    return Rendered(
        subject=_subject(notification_type, context),
        text=render_to_string(f"{folder}/body.txt", context),
        html=render_to_string(f"{folder}/body.html", context),
    )


def render_in_app(*, user: User, notification_type: str, data: dict[str, Any]) -> tuple[str, str]:
    """The title and body of the in-app entry: the subject, and the text without greeting
    or signature."""
    context = _context(user, data, in_app=True)
    body = render_to_string(f"notifications/{notification_type}/body.txt", context)
    return _subject(notification_type, context)[:200], body.strip()


def notify(
    *,
    user: User,
    type: str,
    data: dict[str, Any] | None = None,
    channels: list[str] | tuple[str, ...] | set[str] | None = None,
) -> Notification | None:
    """Tell `user` about something of `type`, with the facts in `data`.

    `channels` narrows the delivery to some channels (default: all); the user's preferences
    for the type always apply on top, so a channel they turned off is never used. Deleted
    users get nothing. Returns the in-app entry, or None when none was written.

    Call it inside the transaction of the change it reports: the entry commits or rolls
    back with it, and the email leaves only after commit."""
    if type not in NotificationType.values:
        raise ValueError(f"unknown notification type {type!r}")
    requested = set(CHANNELS if channels is None else channels)
    unknown = requested - set(CHANNELS)
    if unknown:
        raise ValueError(f"unknown notification channels {sorted(unknown)}")
    if user.deleted_at is not None:
        return None
    enabled = requested & _channels_enabled(user=user, notification_type=type)
    payload = _json_ready(data)
    notification = None
    if IN_APP in enabled:
        title, body = render_in_app(user=user, notification_type=type, data=payload)
        notification = Notification.objects.create(
            user=user, type=type, title=title, body=body, data=payload
        )
    if EMAIL in enabled:
        email = OutgoingEmail.objects.create(user=user, type=type, data=payload)
        _send_email_task(email.pk)
    return notification


def _send_email_task(email_id: int) -> None:
    from accounts.tasks import send_notification_email  # tasks import this module

    send_after_commit(send_notification_email, email_id, lost="the email sweep sends it")


def notification_email_send(*, email_id: int) -> str:
    """Render and send one outgoing email (the Celery task's work); returns its status.

    The email is claimed by a conditional update first, so a duplicate message does not
    send it again while it is being sent or after. A user no longer active gets nothing
    (skipped). A mail-server error puts it back to pending and propagates, for the task to
    retry; the sweep picks up whatever the task's retries leave."""
    E = OutgoingEmail.Status
    now = timezone.now()
    claimed = OutgoingEmail.objects.filter(pk=email_id, status=E.PENDING).update(
        status=E.SENDING, attempts=F("attempts") + 1, updated_at=now
    )
    if not claimed:
        status = OutgoingEmail.objects.filter(pk=email_id).values_list("status", flat=True)
        return status.first() or "missing"
    email = OutgoingEmail.objects.select_related("user").get(pk=email_id)
    user = email.user
    if not user.is_active:
        OutgoingEmail.objects.filter(pk=email_id).update(status=E.SKIPPED, updated_at=now)
        return E.SKIPPED
    rendered = render(user=user, notification_type=email.type, data=email.data)
    try:
        send_mail(rendered.subject, rendered.text, None, [user.email], html_message=rendered.html)
    except Exception as exc:
        OutgoingEmail.objects.filter(pk=email_id, status=E.SENDING).update(
            status=E.PENDING, last_error=f"{type(exc).__name__}: {exc}"[:2000], updated_at=now
        )
        raise
    OutgoingEmail.objects.filter(pk=email_id).update(
        status=E.SENT, sent_at=timezone.now(), last_error="", updated_at=timezone.now()
    )
    logger.info("notification email %s sent to user %s", email.type, user.pk)
    return E.SENT


def notification_emails_resend() -> tuple[int, int]:
    """Send again the emails left pending (their message never reached a worker, or the
    task ran out of retries) or stuck sending (their worker died) for longer than
    NOTIFICATION_EMAIL_RESEND_AFTER; give up on those that have had
    NOTIFICATION_EMAIL_MAX_ATTEMPTS attempts. Each row changes by a conditional update, so
    overlapping sweeps send an email once. Returns (resent, failed)."""
    E = OutgoingEmail.Status
    now = timezone.now()
    due = Q(
        status__in=[E.PENDING, E.SENDING],
        updated_at__lt=now - timedelta(seconds=settings.NOTIFICATION_EMAIL_RESEND_AFTER),
    )
    max_attempts = settings.NOTIFICATION_EMAIL_MAX_ATTEMPTS
    failed = OutgoingEmail.objects.filter(due, attempts__gte=max_attempts).update(
        status=E.FAILED, updated_at=now
    )
    resent = 0
    for email_id in (
        OutgoingEmail.objects.filter(due).order_by("pk").values_list("pk", flat=True)[:1000]
    ):
        with transaction.atomic():
            if OutgoingEmail.objects.filter(due, pk=email_id).update(
                status=E.PENDING, updated_at=now
            ):
                resent += 1
                _send_email_task(email_id)
    if resent or failed:
        logger.warning("notification emails: %d sent again, %d given up", resent, failed)
    return resent, failed


# --- the inbox -------------------------------------------------------------------------------


def notification_list(*, user: User, unread_only: bool = False) -> QuerySet[Notification]:
    """The user's inbox, newest first."""
    notifications = Notification.objects.filter(user_id=user.pk).order_by("-created_at", "-id")
    return notifications.filter(read_at__isnull=True) if unread_only else notifications


def notification_unread_count(*, user: User) -> int:
    return Notification.objects.filter(user_id=user.pk, read_at__isnull=True).count()


def notification_mark_read(*, user: User, notification_id: int) -> Notification:
    """Mark one of the user's notifications read (once: a second call keeps the first
    time). Someone else's notification is NotFound."""
    notification = Notification.objects.filter(pk=notification_id, user_id=user.pk).first()
    if notification is None:
        raise NotFound("No such notification.", code="notification_not_found")
    if notification.read_at is None:
        now = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=now)
        notification.refresh_from_db(fields=["read_at"])
    return notification


def notifications_mark_all_read(*, user: User) -> int:
    """Mark every unread notification of the user read; returns how many changed."""
    return Notification.objects.filter(user_id=user.pk, read_at__isnull=True).update(
        read_at=timezone.now()
    )
