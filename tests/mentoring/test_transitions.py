"""Every transition of a session through the API: who may do it, when, what it does to the
credits (the ledger balances after each), and who is told."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from accounts.models import AuditLog, Notification
from accounts.services import user_delete
from credits.services import get_balance
from mentoring import services
from mentoring.models import MentorProfile, Session
from tests.conftest import client_for
from tests.credits.helpers import assert_ledger_balanced
from tests.mentoring.factories import MentorProfileFactory, SessionFactory, always_available

pytestmark = pytest.mark.django_db

Status = Session.Status
LINK = "https://meet.example.com/room-1"


def future(**kwargs) -> Session:
    return SessionFactory(
        scheduled_at=timezone.now().replace(second=0, microsecond=0) + timedelta(days=3), **kwargs
    )


def started(**kwargs) -> Session:
    """A confirmed session whose start was ten minutes ago."""
    return SessionFactory(
        scheduled_at=timezone.now().replace(microsecond=0) - timedelta(minutes=10),
        status=Status.CONFIRMED,
        **kwargs,
    )


def funds(user) -> tuple[int, int]:
    balance = get_balance(user=user)
    return balance.available, balance.held


def post(client, session, action, body=None):
    return client.post(f"/api/v1/sessions/{session.pk}/{action}", body or {})


def notified(user) -> list[str]:
    return list(
        Notification.objects.filter(user=user).order_by("id").values_list("type", flat=True)
    )


# --- confirm ----------------------------------------------------------------------------------


def test_mentor_confirms_a_request_with_the_meeting_link(django_capture_on_commit_callbacks):
    session = future()
    student_before = funds(session.student)

    with django_capture_on_commit_callbacks(execute=True):
        response = post(client_for(session.mentor), session, "confirm", {"meeting_link": LINK})

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["meeting_link"]) == ("confirmed", LINK)
    session.refresh_from_db()
    assert session.status == Status.CONFIRMED
    assert session.confirmed_at is not None
    assert funds(session.student) == student_before  # still held
    assert notified(session.student) == ["session_confirmed"]
    assert notified(session.mentor) == []
    assert [(m.to, m.subject) for m in mail.outbox] == [
        ([session.student.email], f"Session confirmed: {session.topic}")
    ]
    assert LINK in mail.outbox[0].body
    assert_ledger_balanced()


def test_student_cannot_confirm():
    session = future()

    response = post(client_for(session.student), session, "confirm", {"meeting_link": LINK})

    assert response.status_code == 403
    assert response.json()["code"] == "mentor_only"
    session.refresh_from_db()
    assert (session.status, session.meeting_link) == (Status.REQUESTED, "")
    assert not Notification.objects.exists()


def test_confirming_a_request_whose_time_passed_is_409():
    session = SessionFactory(scheduled_at=timezone.now() - timedelta(minutes=1))

    response = post(client_for(session.mentor), session, "confirm", {"meeting_link": LINK})

    assert response.status_code == 409
    assert response.json()["code"] == "session_in_past"
    session.refresh_from_db()
    assert session.status == Status.REQUESTED


@pytest.mark.parametrize("body", [{}, {"meeting_link": "not a url"}, {"meeting_link": "x" * 600}])
def test_confirm_needs_a_valid_link(body):
    session = future()

    response = post(client_for(session.mentor), session, "confirm", body)

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["meeting_link"]
    session.refresh_from_db()
    assert session.status == Status.REQUESTED


# --- decline ----------------------------------------------------------------------------------


def test_mentor_declines_and_the_hold_is_released(django_capture_on_commit_callbacks):
    session = future()
    available, held = funds(session.student)

    with django_capture_on_commit_callbacks(execute=True):
        response = post(client_for(session.mentor), session, "decline", {"reason": "Away"})

    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["cancelled_by"], body["cancellation_reason"]) == (
        "cancelled",
        session.mentor_id,
        "Away",
    )
    assert funds(session.student) == (available + held, 0)
    assert body["charged_credits"] == 0
    assert notified(session.student) == ["session_cancelled"]
    assert mail.outbox[0].subject == f"Session declined: {session.topic}"
    assert "Reason: Away" in mail.outbox[0].body
    assert_ledger_balanced()


def test_a_confirmed_session_cannot_be_declined():
    session = future(status=Status.CONFIRMED)
    before = funds(session.student)

    response = post(client_for(session.mentor), session, "decline")

    assert response.status_code == 409
    assert (response.json()["code"], response.json()["status"]) == (
        "illegal_transition",
        "confirmed",
    )
    session.refresh_from_db()
    assert session.status == Status.CONFIRMED
    assert funds(session.student) == before


# --- cancel -----------------------------------------------------------------------------------


def test_student_cancelling_early_gets_everything_back(django_capture_on_commit_callbacks):
    session = future(status=Status.CONFIRMED)
    available, held = funds(session.student)
    mentor_before = funds(session.mentor)

    with django_capture_on_commit_callbacks(execute=True):
        response = post(client_for(session.student), session, "cancel", {"reason": "Exam moved"})

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["charged_credits"]) == ("cancelled", 0)
    assert funds(session.student) == (available + held, 0)
    assert funds(session.mentor) == mentor_before
    assert notified(session.mentor) == ["session_cancelled"]
    assert notified(session.student) == []
    assert [m.to for m in mail.outbox] == [[session.mentor.email]]
    assert_ledger_balanced()


def test_student_cancelling_late_pays_the_mentor_the_share(django_capture_on_commit_callbacks):
    session = SessionFactory(
        scheduled_at=timezone.now() + timedelta(hours=23, minutes=59), status=Status.CONFIRMED
    )
    available, held = funds(session.student)
    mentor_available, _ = funds(session.mentor)

    with django_capture_on_commit_callbacks(execute=True):
        response = post(client_for(session.student), session, "cancel", {"reason": "Ill"})

    assert response.status_code == 200
    assert response.json()["charged_credits"] == 5  # half of 10
    assert funds(session.student) == (available + held - 5, 0)
    assert funds(session.mentor)[0] == mentor_available + 5
    assert notified(session.mentor) == ["session_cancelled", "payment_received"]
    assert "5 credits were charged for the late cancellation." in mail.outbox[0].body
    assert_ledger_balanced()


def test_late_share_is_configurable_and_rounds_half_up(settings):
    settings.MENTORING_LATE_CANCEL_CAPTURE_SHARE = 0.25
    settings.MENTORING_LATE_CANCEL_WINDOW_HOURS = 48
    session = SessionFactory(
        scheduled_at=timezone.now() + timedelta(hours=47), status=Status.CONFIRMED
    )
    available, held = funds(session.student)

    response = post(client_for(session.student), session, "cancel", {"reason": "Ill"})

    assert response.json()["charged_credits"] == 3  # 2.5 rounds up
    assert funds(session.student) == (available + held - 3, 0)
    assert_ledger_balanced()


def test_student_cancelling_an_unconfirmed_request_late_pays_nothing():
    session = SessionFactory(scheduled_at=timezone.now() + timedelta(hours=2))
    available, held = funds(session.student)

    response = post(client_for(session.student), session, "cancel", {"reason": "Changed my mind"})

    assert response.json()["charged_credits"] == 0
    assert funds(session.student) == (available + held, 0)
    assert_ledger_balanced()


def test_mentor_cancelling_late_releases_everything():
    session = SessionFactory(
        scheduled_at=timezone.now() + timedelta(hours=1), status=Status.CONFIRMED
    )
    available, held = funds(session.student)

    response = post(client_for(session.mentor), session, "cancel", {"reason": "Emergency"})

    assert response.status_code == 200
    assert response.json()["charged_credits"] == 0
    assert funds(session.student) == (available + held, 0)
    assert notified(session.student) == ["session_cancelled"]
    assert_ledger_balanced()


def test_staff_cancel_tells_both_sides_and_is_audited(staff):
    session = future(status=Status.CONFIRMED)
    available, held = funds(session.student)

    response = post(client_for(staff), session, "cancel", {"reason": "Reported abuse"})

    assert response.status_code == 200
    assert funds(session.student) == (available + held, 0)
    assert notified(session.student) == ["session_cancelled"]
    assert notified(session.mentor) == ["session_cancelled"]
    audit = AuditLog.objects.get()
    assert (audit.actor, audit.action, audit.target_id, audit.reason) == (
        staff,
        "mentoring.session.cancel",
        str(session.pk),
        "Reported abuse",
    )
    assert (audit.before, audit.after) == (
        {"status": "confirmed"},
        {"status": "cancelled", "charged_credits": 0},
    )
    assert_ledger_balanced()


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "x" * 501}])
def test_cancel_needs_a_reason(body):
    session = future()
    before = funds(session.student)

    response = post(client_for(session.student), session, "cancel", body)

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["reason"]
    session.refresh_from_db()
    assert session.status == Status.REQUESTED
    assert funds(session.student) == before


# --- reschedule --------------------------------------------------------------------------------


def test_student_moving_a_confirmed_session_sends_it_back_to_the_mentor(
    django_capture_on_commit_callbacks,
):
    always_available(MentorProfileFactory())
    session = future(status=Status.CONFIRMED, mentor=MentorProfile.objects.get().user)
    Session.objects.filter(pk=session.pk).update(reminder_24h_sent_at=timezone.now())
    new_time = session.scheduled_at + timedelta(days=1, hours=2)
    before = funds(session.student)

    with django_capture_on_commit_callbacks(execute=True):
        response = post(
            client_for(session.student),
            session,
            "reschedule",
            {"scheduled_at": new_time.isoformat()},
        )

    assert response.status_code == 200, response.json()
    session.refresh_from_db()
    assert (session.status, session.scheduled_at, session.ends_at) == (
        Status.REQUESTED,
        new_time,
        new_time + timedelta(hours=1),
    )
    assert (session.reminder_24h_sent_at, session.reminder_1h_sent_at, session.confirmed_at) == (
        None,
        None,
        None,
    )
    assert funds(session.student) == before
    assert notified(session.mentor) == ["session_rescheduled"]
    assert "waits for the mentor's confirmation again" in mail.outbox[0].body
    assert_ledger_balanced()


def test_mentor_moving_a_confirmed_session_keeps_it_confirmed():
    profile = always_available(MentorProfileFactory())
    session = future(status=Status.CONFIRMED, mentor=profile.user)
    new_time = session.scheduled_at + timedelta(hours=3)

    response = post(
        client_for(session.mentor), session, "reschedule", {"scheduled_at": new_time.isoformat()}
    )

    assert response.status_code == 200
    assert response.json()["status"] == "confirmed"
    assert notified(session.student) == ["session_rescheduled"]


def test_rescheduling_follows_the_booking_rules():
    profile = always_available(MentorProfileFactory())
    session = future(mentor=profile.user)
    other = future(mentor=profile.user)
    Session.objects.filter(pk=other.pk).update(
        scheduled_at=session.scheduled_at + timedelta(hours=5),
        ends_at=session.scheduled_at + timedelta(hours=6),
    )
    client = client_for(session.student)

    busy = post(
        client,
        session,
        "reschedule",
        {"scheduled_at": (session.scheduled_at + timedelta(hours=4, minutes=30)).isoformat()},
    )
    past = post(
        client,
        session,
        "reschedule",
        {"scheduled_at": (timezone.now() - timedelta(hours=1)).isoformat()},
    )
    same = post(client, session, "reschedule", {"scheduled_at": session.scheduled_at.isoformat()})

    assert (busy.status_code, busy.json()["code"]) == (409, "mentor_busy")
    assert (past.status_code, past.json()["code"]) == (409, "slot_in_past")
    assert (same.status_code, list(same.json()["errors"])) == (400, ["scheduled_at"])
    original = session.scheduled_at
    session.refresh_from_db()
    assert session.scheduled_at == original
    # Its own current time does not count as a clash: moving by 30 minutes overlaps itself.
    moved = post(
        client,
        session,
        "reschedule",
        {"scheduled_at": (original + timedelta(minutes=30)).isoformat()},
    )
    assert moved.status_code == 200


def test_staff_cannot_move_a_session(staff):
    session = future()

    response = post(
        client_for(staff),
        session,
        "reschedule",
        {"scheduled_at": (session.scheduled_at + timedelta(hours=1)).isoformat()},
    )

    assert response.status_code == 403
    assert response.json()["code"] == "participants_only"


# --- start, complete, no-show -----------------------------------------------------------------


def test_mentor_starts_shortly_before_the_time(django_capture_on_commit_callbacks):
    session = SessionFactory(
        scheduled_at=timezone.now() + timedelta(minutes=9), status=Status.CONFIRMED
    )
    before = funds(session.student)

    with django_capture_on_commit_callbacks(execute=True):
        response = post(client_for(session.mentor), session, "start")

    assert response.status_code == 200
    assert response.json()["status"] == "in_progress"
    assert response.json()["started_at"] is not None
    assert funds(session.student) == before
    assert notified(session.student) == ["session_started"]
    assert [m.to for m in mail.outbox] == [[session.student.email]]


def test_starting_too_early_is_409():
    session = SessionFactory(
        scheduled_at=timezone.now() + timedelta(minutes=11), status=Status.CONFIRMED
    )

    response = post(client_for(session.mentor), session, "start")

    assert (response.status_code, response.json()["code"]) == (409, "too_early")
    session.refresh_from_db()
    assert session.status == Status.CONFIRMED


@pytest.mark.parametrize("status", [Status.CONFIRMED, Status.IN_PROGRESS])
def test_completing_pays_the_mentor(status, django_capture_on_commit_callbacks):
    session = started()
    Session.objects.filter(pk=session.pk).update(status=status)
    available, held = funds(session.student)
    mentor_available, _ = funds(session.mentor)

    with django_capture_on_commit_callbacks(execute=True):
        response = post(client_for(session.mentor), session, "complete")

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["charged_credits"]) == ("completed", 10)
    assert response.json()["completed_at"] is not None
    assert funds(session.student) == (available, 0)
    assert held == 10
    assert funds(session.mentor)[0] == mentor_available + 10
    assert MentorProfile.objects.get(user=session.mentor).total_sessions == 1
    assert notified(session.mentor) == ["payment_received"]
    assert notified(session.student) == ["session_completed"]
    assert sorted(m.subject for m in mail.outbox) == sorted(
        ["You received 10 credits", f"Session completed: {session.topic}"]
    )
    assert_ledger_balanced()


def test_completing_before_the_start_is_409():
    session = future(status=Status.CONFIRMED)
    before = funds(session.student)

    response = post(client_for(session.mentor), session, "complete")

    assert (response.status_code, response.json()["code"]) == (409, "session_not_started")
    assert funds(session.student) == before
    assert MentorProfile.objects.get(user=session.mentor).total_sessions == 0


def test_student_cannot_complete():
    session = started()

    response = post(client_for(session.student), session, "complete")

    assert (response.status_code, response.json()["code"]) == (403, "mentor_only")
    session.refresh_from_db()
    assert session.status == Status.CONFIRMED


def test_no_show_captures_by_default(django_capture_on_commit_callbacks):
    session = started()
    available, _ = funds(session.student)
    mentor_available, _ = funds(session.mentor)

    with django_capture_on_commit_callbacks(execute=True):
        response = post(client_for(session.mentor), session, "no-show")

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["charged_credits"]) == ("no_show", 10)
    assert funds(session.student) == (available, 0)
    assert funds(session.mentor)[0] == mentor_available + 10
    assert notified(session.student) == ["session_no_show"]
    assert notified(session.mentor) == ["payment_received"]
    assert MentorProfile.objects.get(user=session.mentor).total_sessions == 0
    assert_ledger_balanced()


def test_no_show_policy_release_gives_the_credits_back(settings):
    settings.MENTORING_NO_SHOW_POLICY = "release"
    session = started()
    available, held = funds(session.student)
    mentor_before = funds(session.mentor)

    response = post(client_for(session.mentor), session, "no-show")

    assert (response.json()["status"], response.json()["charged_credits"]) == ("no_show", 0)
    assert funds(session.student) == (available + held, 0)
    assert funds(session.mentor) == mentor_before
    assert notified(session.mentor) == []
    assert_ledger_balanced()


def test_no_show_before_the_start_is_409():
    session = future(status=Status.CONFIRMED)

    response = post(client_for(session.mentor), session, "no-show")

    assert (response.status_code, response.json()["code"]) == (409, "session_not_started")


# --- the transition table ---------------------------------------------------------------------

ACTIONS = {
    "confirm": {"meeting_link": LINK},
    "decline": {},
    "cancel": {"reason": "Because"},
    "reschedule": {"scheduled_at": "2099-01-05T10:00:00Z"},
    "start": {},
    "complete": {},
    "no-show": {},
}
ILLEGAL = [
    (status, action)
    for status in Status.values
    for action in ACTIONS
    if (action.replace("-", "_"), status) not in services.TRANSITIONS
]


@pytest.mark.parametrize(("status", "action"), ILLEGAL)
def test_every_illegal_transition_is_409_and_changes_nothing(status, action):
    session = started()
    Session.objects.filter(pk=session.pk).update(status=status)
    before = funds(session.student)

    response = post(client_for(session.mentor), session, action, ACTIONS[action])

    assert response.status_code == 409, response.json()
    assert response.json()["code"] == "illegal_transition"
    assert (response.json()["status"], response.json()["action"]) == (
        status,
        action.replace("-", "_"),
    )
    session.refresh_from_db()
    assert session.status == status
    assert funds(session.student) == before
    assert not Notification.objects.exists()


def test_the_table_has_the_expected_legal_moves():
    assert sorted(services.TRANSITIONS.items()) == sorted(
        {
            ("confirm", "requested"): "confirmed",
            ("decline", "requested"): "cancelled",
            ("cancel", "requested"): "cancelled",
            ("cancel", "confirmed"): "cancelled",
            ("reschedule", "requested"): "requested",
            ("reschedule", "confirmed"): "confirmed",
            ("start", "confirmed"): "in_progress",
            ("complete", "confirmed"): "completed",
            ("complete", "in_progress"): "completed",
            ("no_show", "confirmed"): "no_show",
            ("expire", "requested"): "cancelled",
        }.items()
    )


# --- expiry of unanswered requests --------------------------------------------------------------


def test_requests_not_confirmed_before_the_start_expire_once(django_capture_on_commit_callbacks):
    expired = SessionFactory(scheduled_at=timezone.now() - timedelta(minutes=1))
    upcoming = future()
    confirmed = started()
    available, held = funds(expired.student)

    with django_capture_on_commit_callbacks(execute=True):
        first = services.session_requests_expire()
        second = services.session_requests_expire()

    assert (first, second) == (1, 0)
    expired.refresh_from_db()
    assert (expired.status, expired.cancellation_reason) == (
        Status.CANCELLED,
        "Not confirmed before the start.",
    )
    assert funds(expired.student) == (available + held, 0)
    assert Session.objects.get(pk=upcoming.pk).status == Status.REQUESTED
    assert Session.objects.get(pk=confirmed.pk).status == Status.CONFIRMED
    assert notified(expired.student) == ["session_cancelled"]
    assert "was not confirmed before its start" in mail.outbox[0].body
    assert_ledger_balanced()


# --- closed accounts ----------------------------------------------------------------------------


def test_closing_an_account_cancels_its_upcoming_sessions_and_releases_the_credits(staff):
    requested = future()
    confirmed = future(status=Status.CONFIRMED, mentor=requested.mentor)
    done = started(mentor=requested.mentor)
    Session.objects.filter(pk=done.pk).update(status=Status.COMPLETED)
    students = [requested.student, confirmed.student]
    before = [funds(student) for student in students]

    user_delete(user=requested.mentor, acting_user=staff, reason="Asked to leave")

    assert [Session.objects.get(pk=s.pk).status for s in (requested, confirmed, done)] == [
        Status.CANCELLED,
        Status.CANCELLED,
        Status.COMPLETED,
    ]
    assert [funds(student) for student in students] == [
        (available + held, 0) for available, held in before
    ]
    assert notified(requested.student) == ["session_cancelled"]
    assert notified(confirmed.student) == ["session_cancelled"]
    assert_ledger_balanced()
