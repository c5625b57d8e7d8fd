"""Direct messages between users."""

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import Notification, User
from accounts.services import notify
from config.errors import Conflict, PermissionDenied, ValidationFailed
from mentoring.models import Message
from mentoring.services.sessions import display_name

PREVIEW_LENGTH = 200


@transaction.atomic
def message_send(*, sender: User, recipient_id: int, body: str) -> Message:
    """Send `body` (stripped, not empty, at most MENTORING_MESSAGE_MAX_LENGTH characters) to
    another user; they are told (`new_message`). Suspended users can neither send nor
    receive (409 `recipient_suspended`); deleted or unknown users are not found."""
    if not sender.is_active:
        raise PermissionDenied("This account is suspended.", code="account_suspended")
    body = body.strip()
    maximum = settings.MENTORING_MESSAGE_MAX_LENGTH
    if not body:
        raise ValidationFailed("Invalid input: body.", errors={"body": ["May not be blank."]})
    if len(body) > maximum:
        raise ValidationFailed(
            "Invalid input: body.", errors={"body": [f"At most {maximum} characters."]}
        )
    if recipient_id == sender.pk:
        raise ValidationFailed(
            "Invalid input: recipient_id.",
            errors={"recipient_id": ["You cannot message yourself."]},
        )
    recipient = User.objects.filter(pk=recipient_id, deleted_at__isnull=True).first()
    if recipient is None:
        raise ValidationFailed(
            "Invalid input: recipient_id.", errors={"recipient_id": ["No such user."]}
        )
    if not recipient.is_active:
        raise Conflict("The recipient's account is suspended.", code="recipient_suspended")
    message = Message.objects.create(sender=sender, recipient=recipient, body=body)
    preview = body if len(body) <= PREVIEW_LENGTH else body[: PREVIEW_LENGTH - 1] + "…"
    notify(
        user=recipient,
        type=Notification.Type.NEW_MESSAGE,
        data={
            "message_id": message.pk,
            "sender_id": sender.pk,
            "sender_name": display_name(sender),
            "preview": preview,
        },
    )
    return message


def thread_mark_read(*, user: User, counterpart_id: int) -> int:
    """Mark every message `counterpart_id` sent to `user` read; returns how many changed."""
    return Message.objects.filter(
        sender_id=counterpart_id, recipient_id=user.pk, read_at__isnull=True
    ).update(read_at=timezone.now())
