"""The welcome goes through `notify`: an in-app entry in the creating transaction, and the
email after it commits, through the notification email task."""

import smtplib

import pytest
from celery.exceptions import Retry
from django.core import mail
from django.db import transaction

from accounts import notifications, tasks
from accounts.models import Notification, OutgoingEmail
from accounts.services import user_create
from tests.accounts.factories import PASSWORD, StudentFactory

pytestmark = pytest.mark.django_db


def create(**kwargs):
    return user_create(
        email=kwargs.get("email", "wel@example.com"),
        username=kwargs.get("username", "wel"),
        password=PASSWORD,
        first_name="Wendy",
    )


def test_welcome_email_waits_for_commit_and_goes_through_the_task(
    monkeypatch, django_capture_on_commit_callbacks
):
    queued = []
    real_apply_async = tasks.send_notification_email.apply_async
    monkeypatch.setattr(
        tasks.send_notification_email,
        "apply_async",
        lambda args, **options: queued.append(args) or real_apply_async(args, **options),
    )

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        user = create()

    assert len(callbacks) == 1
    assert (queued, mail.outbox) == ([], [])
    entry = Notification.objects.get(user=user)
    assert (entry.type, entry.title, entry.read_at) == ("welcome", "Welcome to Lectern", None)
    assert entry.body == "Welcome to Lectern. Your account (wel@example.com) is ready."

    callbacks[0]()

    email = OutgoingEmail.objects.get(user=user)
    assert queued == [(email.pk,)]
    email.refresh_from_db()
    assert (email.type, email.status, email.attempts) == ("welcome", "sent", 1)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert (message.to, message.subject) == (["wel@example.com"], "Welcome to Lectern")
    assert "Hello Wendy," in message.body
    assert message.alternatives[0].mimetype == "text/html"
    assert "<p>Hello Wendy,</p>" in message.alternatives[0].content


def test_no_welcome_email_when_the_transaction_rolls_back(django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        create()
        raise RuntimeError("the surrounding work failed")

    assert callbacks == []
    assert mail.outbox == []
    assert not Notification.objects.exists()


def test_task_skips_inactive_users_and_unknown_emails():
    inactive = StudentFactory(is_active=False)
    email = OutgoingEmail.objects.create(user=inactive, type="welcome")

    assert tasks.send_notification_email.delay(email.pk).get() == "skipped"
    assert tasks.send_notification_email.delay(email.pk + 1000).get() == "missing"

    assert mail.outbox == []


def test_task_asks_for_a_retry_when_the_mail_server_fails(monkeypatch):
    user = StudentFactory()

    def failing_send_mail(*args, **kwargs):
        raise smtplib.SMTPServerDisconnected("connection lost")

    monkeypatch.setattr(notifications, "send_mail", failing_send_mail)

    email = OutgoingEmail.objects.create(user=user, type="welcome")
    with pytest.raises(Retry):
        tasks.send_notification_email.delay(email.pk)

    assert mail.outbox == []
    email.refresh_from_db()
    assert (email.status, email.attempts) == ("pending", 1)
    assert email.last_error == "SMTPServerDisconnected: connection lost"
