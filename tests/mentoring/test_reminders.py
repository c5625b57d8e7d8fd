"""Reminders 24 hours and 1 hour before confirmed sessions: each exactly once, however the
ticks overlap; none for cancelled sessions; a moved session gets them for its new time."""

import threading
import time as clock
from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection
from django.utils import timezone
from django_celery_beat.models import PeriodicTask
from django_celery_beat.schedulers import ModelEntry

from accounts.models import Notification
from config.celery import app
from mentoring import services, tasks
from mentoring.models import Session
from mentoring.services import sessions as session_services
from tests.mentoring.factories import MentorProfileFactory, SessionFactory, always_available

pytestmark = pytest.mark.django_db

Status = Session.Status


def confirmed_in(delta: timedelta, **kwargs) -> Session:
    start = (timezone.now() + delta).replace(microsecond=0)
    return SessionFactory(scheduled_at=start, status=Status.CONFIRMED, **kwargs)


def reminders() -> list[tuple[str, str]]:
    """(recipient, words) of every reminder email sent, in order."""
    return [
        (message.to[0], message.subject.rsplit(" starts in ", 1)[1])
        for message in mail.outbox
        if message.subject.startswith("Reminder:")
    ]


def test_each_reminder_goes_to_both_sides_once_over_a_run_of_ticks(
    django_capture_on_commit_callbacks,
):
    session = confirmed_in(timedelta(days=2))
    start = session.scheduled_at
    student, mentor = session.student.email, session.mentor.email
    ticks = [
        start - timedelta(hours=25),
        start - timedelta(hours=24),
        start - timedelta(hours=23, minutes=59),
        start - timedelta(hours=2),
        start - timedelta(hours=1),
        start - timedelta(minutes=59),
        start - timedelta(minutes=1),
        start + timedelta(minutes=1),
    ]

    with django_capture_on_commit_callbacks(execute=True):
        sent = [services.session_reminders_send(now=tick) for tick in ticks]

    assert sent == [0, 1, 0, 0, 1, 0, 0, 0]
    assert reminders() == [
        (student, "24 hours"),
        (mentor, "24 hours"),
        (student, "1 hour"),
        (mentor, "1 hour"),
    ]
    session.refresh_from_db()
    assert session.reminder_24h_sent_at == start - timedelta(hours=24)
    assert session.reminder_1h_sent_at == start - timedelta(hours=1)
    assert Notification.objects.filter(type="session_reminder").count() == 4


def test_reminder_says_what_when_and_where(django_capture_on_commit_callbacks):
    session = confirmed_in(timedelta(minutes=30), topic="Graph search")

    with django_capture_on_commit_callbacks(execute=True):
        services.session_reminders_send()

    to_student = next(m for m in mail.outbox if m.to == [session.student.email])
    assert to_student.subject == 'Reminder: "Graph search" starts in 1 hour'
    assert session.mentor.get_full_name() in to_student.body
    assert "https://meet.example.com/abc" in to_student.body
    assert session.scheduled_at.strftime("%H:%M UTC") in to_student.body
    entry = Notification.objects.get(user=session.student)
    assert (entry.data["time_until"], entry.data["meeting_link"]) == (
        "1 hour",
        "https://meet.example.com/abc",
    )


def test_a_session_confirmed_within_the_hour_gets_only_the_hour_reminder(
    django_capture_on_commit_callbacks,
):
    session = confirmed_in(timedelta(minutes=40))

    with django_capture_on_commit_callbacks(execute=True):
        assert services.session_reminders_send() == 1

    assert [words for _, words in reminders()] == ["1 hour", "1 hour"]
    session.refresh_from_db()
    assert session.reminder_24h_sent_at is None


def test_the_task_run_twice_sends_each_reminder_once(django_capture_on_commit_callbacks):
    confirmed_in(timedelta(hours=20))

    with django_capture_on_commit_callbacks(execute=True):
        tasks.send_session_reminders.delay()
        tasks.send_session_reminders.delay()

    assert len(reminders()) == 2


@pytest.mark.parametrize(
    "status", [Status.REQUESTED, Status.CANCELLED, Status.IN_PROGRESS, Status.COMPLETED]
)
def test_only_confirmed_sessions_get_reminders(status, django_capture_on_commit_callbacks):
    SessionFactory(scheduled_at=timezone.now() + timedelta(minutes=30), status=status)

    with django_capture_on_commit_callbacks(execute=True):
        assert services.session_reminders_send() == 0

    assert mail.outbox == []
    assert not Notification.objects.filter(type="session_reminder").exists()


def test_a_cancelled_session_gets_no_further_reminder(django_capture_on_commit_callbacks):
    session = confirmed_in(timedelta(hours=23))
    with django_capture_on_commit_callbacks(execute=True):
        services.session_reminders_send()
    services.session_cancel(session_id=session.pk, acting_user=session.mentor, reason="Sick")
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        sent = services.session_reminders_send(now=session.scheduled_at - timedelta(minutes=30))

    assert sent == 0
    assert reminders() == []


def test_a_moved_session_gets_its_reminders_for_the_new_time(django_capture_on_commit_callbacks):
    profile = always_available(MentorProfileFactory())
    session = confirmed_in(timedelta(hours=23), mentor=profile.user)
    old_start = session.scheduled_at
    with django_capture_on_commit_callbacks(execute=True):
        assert services.session_reminders_send() == 1
    new_start = old_start + timedelta(days=2)
    services.session_reschedule(
        session_id=session.pk, acting_user=session.mentor, scheduled_at=new_start
    )
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        at_old_time = services.session_reminders_send(now=old_start - timedelta(minutes=30))
        day_before = services.session_reminders_send(now=new_start - timedelta(hours=23))
        hour_before = services.session_reminders_send(now=new_start - timedelta(minutes=30))

    assert (at_old_time, day_before, hour_before) == (0, 1, 1)
    assert [words for _, words in reminders()] == ["24 hours"] * 2 + ["1 hour"] * 2


def test_a_reminder_found_for_the_old_time_is_not_sent_after_a_move():
    """The claim names the time the reminder was computed for: a reschedule in between
    (which clears the bookkeeping) makes the stale claim miss."""
    profile = always_available(MentorProfileFactory())
    session = confirmed_in(timedelta(minutes=30), mentor=profile.user)
    old_start = session.scheduled_at
    services.session_reschedule(
        session_id=session.pk,
        acting_user=session.mentor,
        scheduled_at=old_start + timedelta(days=1),
    )

    claimed = session_services._remind(
        session_id=session.pk,
        scheduled_at=old_start,
        field="reminder_1h_sent_at",
        words="1 hour",
        now=timezone.now(),
    )

    assert claimed == 0
    session.refresh_from_db()
    assert session.reminder_1h_sent_at is None
    assert not Notification.objects.filter(type="session_reminder").exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_overlapping_runs_send_each_reminder_once(monkeypatch):
    real_remind = session_services._remind

    def pause_then_remind(**kwargs):
        # Every run has read the due sessions before any claims one.
        clock.sleep(0.3)
        return real_remind(**kwargs)

    monkeypatch.setattr(session_services, "_remind", pause_then_remind)
    sessions = [confirmed_in(timedelta(minutes=30)), confirmed_in(timedelta(hours=20))]
    runs = 4
    barrier = threading.Barrier(runs)
    results: list[int] = []

    def run():
        try:
            barrier.wait()
            results.append(services.session_reminders_send())
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(runs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(results) == 2
    assert sorted(reminders()) == sorted(
        [(s.student.email, w) for s, w in zip(sessions, ["1 hour", "24 hours"], strict=True)]
        + [(s.mentor.email, w) for s, w in zip(sessions, ["1 hour", "24 hours"], strict=True)]
    )
    assert Notification.objects.filter(type="session_reminder").count() == 4


# --- the schedule ---------------------------------------------------------------------------


def test_the_reminder_and_expiry_schedules_are_in_beat_admin_after_migrate():
    reminder = PeriodicTask.objects.get(name="mentoring-session-reminders")
    expiry = PeriodicTask.objects.get(name="mentoring-expire-requests")

    assert (reminder.task, reminder.enabled) == ("mentoring.tasks.send_session_reminders", True)
    assert (reminder.crontab.minute, reminder.crontab.hour) == ("*", "*")
    assert expiry.task == "mentoring.tasks.expire_session_requests"
    assert (expiry.crontab.minute, expiry.crontab.hour) == ("*/5", "*")
    assert str(reminder.crontab.timezone) == settings.TIME_ZONE


def test_beat_adopts_the_rows_instead_of_adding_others():
    created = PeriodicTask.objects.get(name="mentoring-session-reminders")

    entry = settings.CELERY_BEAT_SCHEDULE["mentoring-session-reminders"]
    ModelEntry.from_entry("mentoring-session-reminders", app=app, **entry)

    synced = PeriodicTask.objects.get(name="mentoring-session-reminders")
    assert (synced.pk, synced.crontab_id) == (created.pk, created.crontab_id)


def test_ensuring_again_keeps_admin_edits_and_restores_deleted_rows():
    PeriodicTask.objects.filter(name="mentoring-session-reminders").update(enabled=False)
    PeriodicTask.objects.filter(name="mentoring-expire-requests").delete()

    services.beat_schedule_ensure()

    assert not PeriodicTask.objects.get(name="mentoring-session-reminders").enabled
    assert PeriodicTask.objects.filter(name="mentoring-expire-requests").count() == 1
