"""Notification emails are an outbox: written with the change they report, sent after
commit, never lost to a broker outage or a dead worker, and not sent twice by duplicates."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from kombu.exceptions import OperationalError

from accounts import notifications, tasks
from accounts.models import OutgoingEmail
from accounts.services import notify
from tests.accounts.factories import StudentFactory

pytestmark = pytest.mark.django_db
E = OutgoingEmail.Status


@pytest.fixture
def ada():
    return StudentFactory(email="ada@example.com", first_name="Ada")


def age(email, seconds):
    OutgoingEmail.objects.filter(pk=email.pk).update(
        updated_at=timezone.now() - timedelta(seconds=seconds)
    )


def test_a_rolled_back_change_leaves_no_email(ada):
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        notify(user=ada, type="credits_granted", data={"amount": 1})
        raise RuntimeError("the change failed")
    assert not OutgoingEmail.objects.exists()


def test_a_duplicate_message_does_not_send_twice(ada, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notify(user=ada, type="credits_granted", data={"amount": 1})
    email = OutgoingEmail.objects.get()
    assert tasks.send_notification_email.delay(email.pk).get() == "sent"
    assert len(mail.outbox) == 1
    email.refresh_from_db()
    assert (email.status, email.attempts) == (E.SENT, 1)
    assert email.sent_at is not None


def test_an_email_the_broker_never_took_is_sent_by_the_sweep_once(
    ada, monkeypatch, settings, django_capture_on_commit_callbacks
):
    def broker_down(*args, **kwargs):
        raise OperationalError("connection refused")

    with monkeypatch.context() as patched:
        patched.setattr(tasks.send_notification_email, "apply_async", broker_down)
        with django_capture_on_commit_callbacks(execute=True):
            notify(user=ada, type="credits_granted", data={"amount": 3})
    email = OutgoingEmail.objects.get()
    assert (email.status, mail.outbox) == (E.PENDING, [])

    assert notifications.notification_emails_resend() == (0, 0)  # young: may be on its way
    age(email, settings.NOTIFICATION_EMAIL_RESEND_AFTER + 1)
    with django_capture_on_commit_callbacks(execute=True):
        assert notifications.notification_emails_resend() == (1, 0)
        assert notifications.notification_emails_resend() == (0, 0)
    assert [message.subject for message in mail.outbox] == ["You received 3 credits"]
    email.refresh_from_db()
    assert (email.status, email.attempts) == (E.SENT, 1)


def test_an_email_stuck_sending_by_a_dead_worker_is_sent_again(
    ada, settings, django_capture_on_commit_callbacks
):
    email = OutgoingEmail.objects.create(
        user=ada, type="credits_granted", data={"amount": 2}, status=E.SENDING, attempts=1
    )
    age(email, settings.NOTIFICATION_EMAIL_RESEND_AFTER + 1)
    with django_capture_on_commit_callbacks(execute=True):
        assert notifications.notification_emails_resend() == (1, 0)
    email.refresh_from_db()
    assert (email.status, email.attempts, len(mail.outbox)) == (E.SENT, 2, 1)


def test_the_sweep_gives_up_after_the_last_attempt(ada, settings):
    settings.NOTIFICATION_EMAIL_MAX_ATTEMPTS = 3
    email = OutgoingEmail.objects.create(user=ada, type="welcome", attempts=3)
    age(email, settings.NOTIFICATION_EMAIL_RESEND_AFTER + 1)
    assert notifications.notification_emails_resend() == (0, 1)
    email.refresh_from_db()
    assert email.status == E.FAILED
    assert mail.outbox == []


def test_the_sweep_runs_from_beat(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["accounts-resend-notification-emails"]
    assert entry["task"] == tasks.notification_emails_resend_task.name
