"""Notifications: `notify` per type and channel (the in-app entry in the caller's
transaction, the email after commit through the task), preferences, and the inbox API."""

import smtplib

import pytest
from celery.exceptions import Retry
from django.core import mail
from django.db import transaction
from django.utils import timezone

from accounts import notifications, tasks
from accounts.models import Notification, NotificationPreference, OutgoingEmail
from accounts.services import notify
from tests.accounts.factories import StudentFactory
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

SESSION = {
    "session_id": 7,
    "topic": "Graphs",
    "scheduled_at_display": "Monday 03 March 2031, 10:00 UTC",
    "duration_minutes": 60,
    "meeting_link": "https://meet.example.com/r",
    "price_credits": 10,
    "charged_credits": 0,
    "student_name": "Sam Student",
    "mentor_name": "Mia Mentor",
}

# type: (data, subject, a line of the text body)
SAMPLES = {
    "welcome": ({}, "Welcome to Lectern", "Your account (ada@example.com) is ready."),
    "session_requested": (
        SESSION,
        "New session request: Graphs",
        'Sam Student asks for a session on "Graphs" on Monday 03 March 2031, 10:00 UTC',
    ),
    "session_confirmed": (
        SESSION,
        "Session confirmed: Graphs",
        "Join at https://meet.example.com/r",
    ),
    "session_rescheduled": (
        {**SESSION, "actor_name": "Mia Mentor", "previous_scheduled_at_display": "Sunday"},
        "Session moved: Graphs",
        'Mia Mentor moved the session on "Graphs" from Sunday to Monday',
    ),
    "session_started": (SESSION, "Your session has started: Graphs", "Mia Mentor started"),
    "session_reminder": (
        {**SESSION, "time_until": "1 hour", "counterpart_name": "Mia Mentor"},
        'Reminder: "Graphs" starts in 1 hour',
        'Your session with Mia Mentor on "Graphs" starts in 1 hour',
    ),
    "session_cancelled": (
        {**SESSION, "actor_name": "Sam Student", "reason": "Ill", "charged_credits": 5},
        "Session cancelled: Graphs",
        "5 credits were charged for the late cancellation.",
    ),
    "session_completed": (
        {**SESSION, "charged_credits": 10},
        "Session completed: Graphs",
        "leave a review",
    ),
    "session_no_show": (
        {**SESSION, "charged_credits": 10},
        "Missed session: Graphs",
        "10 credits were charged.",
    ),
    "new_message": (
        {"sender_name": "Mia Mentor", "preview": "See you <b>soon</b>", "sender_id": 3},
        "New message from Mia Mentor",
        "Mia Mentor wrote: See you <b>soon</b>",
    ),
    "payment_received": (
        {**SESSION, "amount": 10},
        "You received 10 credits",
        'You received 10 credits from Sam Student for the session on "Graphs".',
    ),
    "job_finished": (
        {"job_name": "Your film", "result_url": "https://example.com/f"},
        "Your film is ready",
        "See the result at https://example.com/f",
    ),
    "job_failed": (
        {"job_name": "Your film", "error": "The model timed out.", "refunded_credits": 4},
        "Your film failed",
        "4 credits were returned to you.",
    ),
    "playlist_import_failed": (
        {"playlist_id": "PL123", "error": "The playlist is private."},
        "Playlist import failed",
        "The import of playlist PL123 failed. The playlist is private.",
    ),
    "playlist_imported": (
        {"course_title": "Python 101", "video_count": 12},
        "Playlist imported into Python 101",
        'The playlist import into "Python 101" has finished: 12 videos.',
    ),
    "credits_granted": (
        {"amount": 25, "reason": "Workshop prize"},
        "You received 25 credits",
        "You were granted 25 credits. Reason: Workshop prize",
    ),
}


def test_every_type_has_samples():
    assert sorted(SAMPLES) == sorted(Notification.Type.values)


@pytest.fixture
def ada():
    return StudentFactory(email="ada@example.com", first_name="Ada")


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run the test's on-commit work (the email tasks) as the transaction commits."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.mark.parametrize("notification_type", sorted(SAMPLES))
def test_each_type_writes_the_inbox_entry_and_emails_after_commit(
    ada, notification_type, django_capture_on_commit_callbacks
):
    data, subject, line = SAMPLES[notification_type]

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        entry = notify(user=ada, type=notification_type, data=data)

    assert mail.outbox == []
    assert (entry.type, entry.title, entry.data, entry.read_at) == (
        notification_type,
        subject,
        data,
        None,
    )
    assert line in entry.body
    assert "Hello Ada" not in entry.body  # no greeting or signature in the inbox

    callbacks[0]()

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert (message.to, message.subject) == (["ada@example.com"], subject)
    assert message.body.startswith("Hello Ada,\n\n")
    assert line in message.body
    assert message.body.rstrip().endswith("The Lectern team")
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert "<p>Hello Ada,</p>" in html


def test_html_email_escapes_data_and_text_does_not(ada, committed):
    with committed():
        notify(user=ada, type="new_message", data={"sender_name": "M", "preview": "<b>hi</b>"})

    html = mail.outbox[0].alternatives[0][0]
    assert "&lt;b&gt;hi&lt;/b&gt;" in html
    assert "<b>hi</b>" in mail.outbox[0].body


def test_datetimes_in_data_are_stored_as_text(ada):
    moment = timezone.now().replace(microsecond=0)

    entry = notify(user=ada, type="session_started", data={**SESSION, "scheduled_at": moment})

    entry.refresh_from_db()
    assert entry.data["scheduled_at"] == moment.isoformat().replace("+00:00", "Z")


def test_nothing_leaves_when_the_transaction_rolls_back(ada, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        notify(user=ada, type="credits_granted", data={"amount": 1})
        raise RuntimeError("the change it reported failed")

    assert callbacks == []
    assert mail.outbox == []
    assert not Notification.objects.exists()


# --- channels and preferences -----------------------------------------------------------------


def test_email_turned_off_leaves_only_the_inbox_entry(ada, committed):
    NotificationPreference.objects.create(user=ada, type="new_message", email=False, in_app=True)

    with committed():
        entry = notify(user=ada, type="new_message", data={"sender_name": "M", "preview": "x"})
        other = notify(user=ada, type="credits_granted", data={"amount": 1})

    assert (entry.type, other.type) == ("new_message", "credits_granted")
    assert [m.subject for m in mail.outbox] == ["You received 1 credits"]


def test_in_app_turned_off_leaves_only_the_email(ada, committed):
    NotificationPreference.objects.create(user=ada, type="new_message", email=True, in_app=False)

    with committed():
        entry = notify(user=ada, type="new_message", data={"sender_name": "M", "preview": "x"})

    assert entry is None
    assert not Notification.objects.exists()
    assert [m.subject for m in mail.outbox] == ["New message from M"]


def test_both_off_sends_nothing(ada, committed):
    NotificationPreference.objects.create(user=ada, type="new_message", email=False, in_app=False)

    with committed():
        entry = notify(user=ada, type="new_message", data={"sender_name": "M", "preview": "x"})

    assert entry is None
    assert (Notification.objects.count(), mail.outbox) == (0, [])


def test_defaults_come_from_settings(ada, settings, committed):
    settings.NOTIFICATION_DEFAULT_CHANNELS = {"email": False, "in_app": True}
    settings.NOTIFICATION_TYPE_CHANNELS = {"payment_received": {"email": True}}

    with committed():
        notify(user=ada, type="credits_granted", data={"amount": 1})
        notify(user=ada, type="payment_received", data={**SESSION, "amount": 3})

    assert [m.subject for m in mail.outbox] == ["You received 3 credits"]
    assert Notification.objects.count() == 2


def test_channels_narrow_the_delivery_but_never_override_preferences(ada, committed):
    NotificationPreference.objects.create(user=ada, type="job_failed", email=False, in_app=True)

    with committed():
        only_email = notify(user=ada, type="job_finished", data={}, channels=["email"])
        refused = notify(user=ada, type="job_failed", data={}, channels=["email"])

    assert (only_email, refused) == (None, None)
    assert [m.subject for m in mail.outbox] == ["Your job is ready"]
    assert not Notification.objects.exists()


def test_deleted_users_get_nothing_and_inactive_users_no_email(ada, committed):
    gone = StudentFactory(deleted_at=timezone.now(), is_active=False)
    suspended = StudentFactory(is_active=False, suspended_at=timezone.now())

    with committed():
        nothing = notify(user=gone, type="credits_granted", data={"amount": 1})
        entry = notify(user=suspended, type="credits_granted", data={"amount": 1})

    assert (nothing, entry.user_id) == (None, suspended.pk)
    assert mail.outbox == []
    assert list(Notification.objects.values_list("user_id", flat=True)) == [suspended.pk]


def test_unknown_types_and_channels_are_programming_errors(ada):
    with pytest.raises(ValueError, match="unknown notification type"):
        notify(user=ada, type="birthday", data={})
    with pytest.raises(ValueError, match="unknown notification channels"):
        notify(user=ada, type="welcome", data={}, channels=["sms"])


def test_mail_server_errors_are_retried(ada, monkeypatch):
    def failing_send_mail(*args, **kwargs):
        raise smtplib.SMTPServerDisconnected("connection lost")

    monkeypatch.setattr(notifications, "send_mail", failing_send_mail)

    email = OutgoingEmail.objects.create(user=ada, type="credits_granted", data={"amount": 2})
    with pytest.raises(Retry):
        tasks.send_notification_email.delay(email.pk)

    assert mail.outbox == []


def test_without_smtp_the_email_is_written_to_the_console(ada, settings, capsys, committed):
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

    with committed():
        notify(user=ada, type="credits_granted", data={"amount": 2})

    assert "Subject: You received 2 credits" in capsys.readouterr().out


# --- the inbox API ----------------------------------------------------------------------------


def make(user, count, **kwargs):
    return [
        Notification.objects.create(user=user, type="welcome", title=f"T{n}", **kwargs)
        for n in range(count)
    ]


def test_inbox_lists_the_callers_notifications_newest_first_with_unread_count(student):
    read = make(student, 1, read_at=timezone.now())
    unread = make(student, 2)
    make(StudentFactory(), 3)
    client = client_for(student)

    everything = client.get("/api/v1/notifications").json()
    only_unread = client.get("/api/v1/notifications?unread=true").json()
    only_read = client.get("/api/v1/notifications?unread=false").json()

    assert [n["id"] for n in everything["results"]] == [unread[1].pk, unread[0].pk, read[0].pk]
    assert (everything["count"], everything["unread_count"]) == (3, 2)
    assert [n["id"] for n in only_unread["results"]] == [unread[1].pk, unread[0].pk]
    assert only_unread["unread_count"] == 2
    assert [n["id"] for n in only_read["results"]] == [read[0].pk]
    assert set(everything["results"][0]) == {
        "id",
        "type",
        "title",
        "body",
        "data",
        "read_at",
        "created_at",
    }


def test_inbox_query_count_does_not_grow_with_page_size(student, django_assert_num_queries):
    make(student, 25)
    client = client_for(student)
    for page_size in (2, 20):
        # 1 the caller (JWT), 2 COUNT, 3 the page, 4 the unread count.
        with django_assert_num_queries(4):
            response = client.get(f"/api/v1/notifications?page_size={page_size}")
        assert len(response.json()["results"]) == page_size


@pytest.mark.parametrize("query", ["unread=yes", "type=birthday", "page_size=500"])
def test_bad_inbox_queries_are_400(student_client, query):
    response = student_client.get(f"/api/v1/notifications?{query}")

    assert (response.status_code, response.json()["code"]) == (400, "invalid")


def test_marking_one_read_keeps_the_first_time(student):
    entry = make(student, 1)[0]
    client = client_for(student)

    first = client.post(f"/api/v1/notifications/{entry.pk}/read")
    second = client.post(f"/api/v1/notifications/{entry.pk}/read")

    assert first.status_code == 200
    assert first.json()["read_at"] is not None
    assert second.json()["read_at"] == first.json()["read_at"]


def test_someone_elses_notification_is_404_and_stays_unread(student):
    other = make(StudentFactory(), 1)[0]

    response = client_for(student).post(f"/api/v1/notifications/{other.pk}/read")

    assert (response.status_code, response.json()["code"]) == (404, "notification_not_found")
    other.refresh_from_db()
    assert other.read_at is None


def test_read_all_marks_only_the_callers_unread(student):
    make(student, 3)
    make(student, 1, read_at=timezone.now())
    others = make(StudentFactory(), 2)

    response = client_for(student).post("/api/v1/notifications/read-all")

    assert (response.status_code, response.json()) == (200, {"marked": 3})
    assert not Notification.objects.filter(user=student, read_at__isnull=True).exists()
    assert Notification.objects.filter(pk__in=[n.pk for n in others], read_at=None).count() == 2


def test_preferences_show_defaults_and_take_partial_changes(student, student_client):
    defaults = student_client.get("/api/v1/notifications/preferences").json()["preferences"]
    assert defaults == [
        {"type": t, "email": True, "in_app": True} for t in Notification.Type.values
    ]

    response = student_client.patch(
        "/api/v1/notifications/preferences",
        {
            "preferences": [
                {"type": "new_message", "email": False},
                {"type": "session_reminder", "in_app": False, "email": True},
            ]
        },
    )
    again = student_client.patch(
        "/api/v1/notifications/preferences",
        {"preferences": [{"type": "new_message", "in_app": False}]},
    )

    assert response.status_code == 200
    rows = {row["type"]: row for row in again.json()["preferences"]}
    assert rows["new_message"] == {"type": "new_message", "email": False, "in_app": False}
    assert rows["session_reminder"] == {"type": "session_reminder", "email": True, "in_app": False}
    assert rows["welcome"] == {"type": "welcome", "email": True, "in_app": True}
    assert NotificationPreference.objects.filter(user=student).count() == 2


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"preferences": []},
        {"preferences": [{"type": "birthday", "email": False}]},
        {"preferences": [{"type": "welcome"}]},
        {"preferences": [{"type": "welcome", "email": "sometimes"}]},
        {
            "preferences": [
                {"type": "welcome", "email": False},
                {"type": "welcome", "in_app": False},
            ]
        },
    ],
)
def test_bad_preference_changes_are_400_and_change_nothing(student, student_client, body):
    response = student_client.patch("/api/v1/notifications/preferences", body, format="json")

    assert (response.status_code, response.json()["code"]) == (400, "invalid")
    assert not NotificationPreference.objects.exists()


def test_notifications_need_authentication(api_client):
    assert api_client.get("/api/v1/notifications").status_code == 401
    assert api_client.post("/api/v1/notifications/read-all").status_code == 401
    assert api_client.get("/api/v1/notifications/preferences").status_code == 401
