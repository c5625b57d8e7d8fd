"""Booking rules of POST /sessions: availability (in the mentor's zone, across DST), the
future, blocked periods, overlaps of the mentor and of the student, the price hold, and the
race for one slot."""

import threading
import time as clock
from datetime import UTC, datetime, time, timedelta

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone
from freezegun import freeze_time

from accounts.models import Notification
from credits.services import get_balance
from mentoring import services
from mentoring.models import Session
from mentoring.services import sessions as session_services
from tests.accounts.factories import StudentFactory
from tests.conftest import client_for
from tests.credits.helpers import assert_ledger_balanced
from tests.mentoring.factories import (
    AvailabilityWindowFactory,
    BlockedPeriodFactory,
    MentorProfileFactory,
    SessionFactory,
    always_available,
    fund,
)

pytestmark = pytest.mark.django_db


def in_days(days: int, hour: int = 10, minute: int = 0) -> datetime:
    day = timezone.now().astimezone(UTC).date() + timedelta(days=days)
    return datetime.combine(day, time(hour, minute), tzinfo=UTC)


@pytest.fixture
def profile():
    return always_available(MentorProfileFactory(hourly_rate_credits=10))


def book(client, profile, scheduled_at, **extra):
    body = {
        "mentor_id": profile.user_id,
        "scheduled_at": scheduled_at.isoformat(),
        "topic": "Recursion",
        **extra,
    }
    return client.post("/api/v1/sessions", body)


def available(user) -> int:
    return get_balance(user=user).available


def test_booking_holds_the_price_and_tells_the_mentor(
    student, student_client, profile, django_capture_on_commit_callbacks
):
    fund(student, 20)
    start = in_days(2)

    with django_capture_on_commit_callbacks(execute=True):
        response = book(student_client, profile, start, duration_minutes=90, notes="Chapter 3")

    assert response.status_code == 201
    body = response.json()
    session = Session.objects.get()
    assert body["id"] == session.pk
    assert body["status"] == "requested"
    assert body["scheduled_at"] == start.isoformat().replace("+00:00", "Z")
    assert body["ends_at"] == (start + timedelta(minutes=90)).isoformat().replace("+00:00", "Z")
    assert (body["duration_minutes"], body["price_credits"], body["charged_credits"]) == (90, 15, 0)
    assert (body["student"]["id"], body["mentor"]["id"]) == (student.pk, profile.user_id)
    assert (body["topic"], body["notes"], body["review"]) == ("Recursion", "Chapter 3", None)
    balance = get_balance(user=student)
    assert (balance.available, balance.held) == (3 + 20 - 15, 15)
    assert session.hold_id is not None
    entry = Notification.objects.get(user=profile.user)
    assert entry.type == "session_requested"
    assert entry.data["session_id"] == session.pk
    assert [m.to for m in mail.outbox] == [[profile.user.email]]
    assert mail.outbox[0].subject == "New session request: Recursion"
    assert_ledger_balanced()


def test_price_rounds_up_to_a_whole_credit(student, student_client):
    profile = always_available(MentorProfileFactory(hourly_rate_credits=7))
    fund(student, 10)

    response = book(student_client, profile, in_days(2), duration_minutes=25)

    assert response.status_code == 201
    assert response.json()["price_credits"] == 3  # 7 x 25 / 60 = 2.92


def test_short_of_credits_is_402_and_books_nothing(student, student_client, profile):
    response = book(student_client, profile, in_days(2))  # 10 credits; the allowance is 3

    assert response.status_code == 402
    assert response.json()["code"] == "insufficient_credits"
    assert (response.json()["required"], response.json()["available"]) == (10, 3)
    assert not Session.objects.exists()
    assert get_balance(user=student).held == 0
    assert not Notification.objects.exists()


def assert_refused(response, code, student, balance_before, sessions_before=0):
    assert response.status_code == 409, response.json()
    assert response.json()["code"] == code
    assert Session.objects.count() == sessions_before
    assert get_balance(user=student) == balance_before
    assert not Notification.objects.filter(type="session_requested").exists()


def test_slot_must_lie_inside_a_window(student, student_client):
    profile = MentorProfileFactory()
    day = in_days(2)
    AvailabilityWindowFactory(
        mentor=profile, weekday=day.weekday(), start_time=time(9), end_time=time(17)
    )
    fund(student, 20)
    before = get_balance(user=student)

    late = book(student_client, profile, in_days(2, hour=16, minute=30))  # ends 17:30
    early = book(student_client, profile, in_days(2, hour=8, minute=45))  # starts 8:45
    other_day = book(student_client, profile, in_days(3, hour=10))

    for response in (late, early, other_day):
        assert_refused(response, "outside_availability", student, before)
    assert book(student_client, profile, in_days(2, hour=16)).status_code == 201


def test_adjacent_windows_join_even_across_midnight(student, student_client):
    profile = MentorProfileFactory()
    day = in_days(2)
    AvailabilityWindowFactory(
        mentor=profile, weekday=day.weekday(), start_time=time(22), end_time=time(0)
    )
    AvailabilityWindowFactory(
        mentor=profile, weekday=(day.weekday() + 1) % 7, start_time=time(0), end_time=time(1)
    )
    fund(student, 20)

    response = book(student_client, profile, in_days(2, hour=23, minute=30))

    assert response.status_code == 201, response.json()


def test_slot_in_the_past_is_refused(student, student_client, profile):
    fund(student, 20)
    before = get_balance(user=student)

    response = book(student_client, profile, timezone.now() - timedelta(minutes=5))

    assert_refused(response, "slot_in_past", student, before)


def test_slot_in_a_blocked_period_is_refused(student, student_client, profile):
    start = in_days(2)
    BlockedPeriodFactory(
        mentor=profile, start_at=start + timedelta(minutes=59), end_at=start + timedelta(hours=3)
    )
    fund(student, 20)
    before = get_balance(user=student)

    response = book(student_client, profile, start)

    assert_refused(response, "slot_blocked", student, before)
    assert book(student_client, profile, start - timedelta(minutes=1)).status_code == 201


def test_slot_overlapping_a_session_of_the_mentor_is_refused(student, student_client, profile):
    start = in_days(2)
    SessionFactory(mentor=profile.user, scheduled_at=start - timedelta(minutes=30))
    SessionFactory(
        mentor=profile.user,
        scheduled_at=start + timedelta(hours=2),
        status=Session.Status.CONFIRMED,
    )
    fund(student, 20)
    before = get_balance(user=student)

    first = book(student_client, profile, start)
    second = book(student_client, profile, start + timedelta(hours=1, minutes=30))

    assert_refused(first, "mentor_busy", student, before, sessions_before=2)
    assert_refused(second, "mentor_busy", student, before, sessions_before=2)
    # Touching is not overlapping: 11:00-12:00 sits between 9:30-10:30 and 12:00-13:00.
    assert book(student_client, profile, start + timedelta(hours=1)).status_code == 201


def test_cancelled_and_completed_sessions_do_not_block_the_slot(student, student_client, profile):
    start = in_days(2)
    for status in (Session.Status.CANCELLED, Session.Status.COMPLETED, Session.Status.NO_SHOW):
        SessionFactory(mentor=profile.user, scheduled_at=start, status=status)
    fund(student, 20)

    assert book(student_client, profile, start).status_code == 201


def test_slot_overlapping_another_session_of_the_student_is_refused(
    student, student_client, profile
):
    start = in_days(2)
    SessionFactory(student=student, scheduled_at=start + timedelta(minutes=45))
    fund(student, 20)
    before = get_balance(user=student)

    response = book(student_client, profile, start)

    assert_refused(response, "student_busy", student, before, sessions_before=1)


def test_mentor_not_accepting_bookings_is_refused(student, student_client, profile):
    profile.is_available = False
    profile.save()
    fund(student, 20)
    before = get_balance(user=student)

    response = book(student_client, profile, in_days(2))

    assert_refused(response, "mentor_unavailable", student, before)


# --- time zones and daylight saving time ----------------------------------------------------


def request_at(student, profile, start, duration=60):
    return services.session_request(
        student=student,
        mentor_id=profile.user_id,
        scheduled_at=start,
        duration_minutes=duration,
        topic="DST",
    )


@freeze_time("2031-01-06 12:00:00")
def test_window_follows_the_mentor_zone_in_winter_and_summer(student):
    """Monday 09:00-12:00 in Berlin is 08:00-11:00 UTC in winter, 07:00-10:00 in summer."""
    profile = MentorProfileFactory(time_zone="Europe/Berlin", hourly_rate_credits=1)
    AvailabilityWindowFactory(mentor=profile, weekday=0, start_time=time(9), end_time=time(12))
    fund(student, 10)
    winter_monday = datetime(2031, 1, 13, tzinfo=UTC)
    summer_monday = datetime(2031, 7, 14, tzinfo=UTC)

    with pytest.raises(session_services.Conflict) as winter_early:
        request_at(student, profile, winter_monday.replace(hour=7))
    winter = request_at(student, profile, winter_monday.replace(hour=10))
    summer = request_at(student, profile, summer_monday.replace(hour=7))
    with pytest.raises(session_services.Conflict) as summer_late:
        request_at(student, profile, summer_monday.replace(hour=10))

    assert winter_early.value.code == summer_late.value.code == "outside_availability"
    assert [winter.scheduled_at, summer.scheduled_at] == [
        datetime(2031, 1, 13, 10, tzinfo=UTC),
        datetime(2031, 7, 14, 7, tzinfo=UTC),
    ]


@freeze_time("2031-03-20 12:00:00")
def test_window_on_the_night_clocks_go_forward_lasts_its_real_length(student):
    """Sunday 30 March 2031, Berlin: 01:00-05:00 local is 00:00-03:00 UTC, three hours."""
    profile = MentorProfileFactory(time_zone="Europe/Berlin", hourly_rate_credits=1)
    AvailabilityWindowFactory(mentor=profile, weekday=6, start_time=time(1), end_time=time(5))
    fund(student, 10)

    with pytest.raises(session_services.Conflict) as too_long:
        request_at(student, profile, datetime(2031, 3, 30, 0, 30, tzinfo=UTC), duration=180)
    fits = request_at(student, profile, datetime(2031, 3, 30, 0, 0, tzinfo=UTC), duration=180)

    assert too_long.value.code == "outside_availability"
    assert fits.ends_at == datetime(2031, 3, 30, 3, 0, tzinfo=UTC)


@freeze_time("2031-10-20 12:00:00")
def test_window_on_the_night_clocks_go_back_lasts_its_real_length(student):
    """Sunday 26 October 2031, Berlin: 01:00-05:00 local is 23:00 (Saturday)-04:00 UTC."""
    profile = MentorProfileFactory(time_zone="Europe/Berlin", hourly_rate_credits=1)
    AvailabilityWindowFactory(mentor=profile, weekday=6, start_time=time(1), end_time=time(5))
    fund(student, 10)

    first = request_at(student, profile, datetime(2031, 10, 25, 23, 0, tzinfo=UTC), duration=180)
    last = request_at(student, profile, datetime(2031, 10, 26, 2, 0, tzinfo=UTC), duration=120)
    with pytest.raises(session_services.Conflict) as too_late:
        request_at(student, profile, datetime(2031, 10, 26, 4, 0, tzinfo=UTC), duration=15)

    assert too_late.value.code == "outside_availability"
    assert (first.ends_at, last.ends_at) == (
        datetime(2031, 10, 26, 2, 0, tzinfo=UTC),
        datetime(2031, 10, 26, 4, 0, tzinfo=UTC),
    )


# --- bad input and who may book ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"scheduled_at": "tomorrow"}, "scheduled_at"),
        ({"duration_minutes": 14}, "duration_minutes"),
        ({"duration_minutes": 181}, "duration_minutes"),
        ({"topic": ""}, "topic"),
        ({"topic": "x" * 201}, "topic"),
        ({"notes": "x" * 2001}, "notes"),
        ({"mentor_id": "abc"}, "mentor_id"),
        ({"mentor_id": 999999}, "mentor_id"),
    ],
)
def test_bad_input_is_400_and_books_nothing(student, student_client, profile, body, field):
    fund(student, 20)
    before = get_balance(user=student)
    payload = {
        "mentor_id": profile.user_id,
        "scheduled_at": in_days(2).isoformat(),
        "topic": "Recursion",
        **body,
    }

    response = student_client.post("/api/v1/sessions", payload)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert list(response.json()["errors"]) == [field]
    assert not Session.objects.exists()
    assert get_balance(user=student) == before


def test_a_mentor_without_the_mentor_role_any_more_cannot_be_booked(
    student, student_client, profile
):
    profile.user.role = "student"
    profile.user.save()
    fund(student, 20)

    response = book(student_client, profile, in_days(2))

    assert response.status_code == 400
    assert response.json()["errors"] == {"mentor_id": ["No such mentor."]}
    assert not Session.objects.exists()


def test_only_students_book(mentor_client, staff_client, profile):
    for client in (mentor_client, staff_client):
        response = book(client, profile, in_days(2))
        assert response.status_code == 403
        assert response.json()["code"] == "students_only"
    assert not Session.objects.exists()


def test_booking_needs_authentication(api_client, profile):
    assert book(api_client, profile, in_days(2)).status_code == 401


# --- the race for one slot, on PostgreSQL ------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_students_racing_for_one_slot_book_exactly_one(monkeypatch):
    real_refusal = session_services._booking_refusal

    def check_then_pause(**kwargs):
        # Widen the window between the overlap check and the insert, so that without the
        # mentor's lock both requests would find the slot free.
        refusal = real_refusal(**kwargs)
        clock.sleep(0.3)
        return refusal

    monkeypatch.setattr(session_services, "_booking_refusal", check_then_pause)
    profile = always_available(MentorProfileFactory())
    students = [StudentFactory(), StudentFactory()]
    for student in students:
        fund(student, 20)
    clients = [client_for(student) for student in students]
    start = in_days(2)
    barrier = threading.Barrier(len(clients))
    outcomes: list[tuple[int, str]] = []

    def race(client):
        try:
            barrier.wait()
            response = book(client, profile, start)
            outcomes.append((response.status_code, response.json().get("code", "")))
        finally:
            connection.close()

    threads = [threading.Thread(target=race, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == [(201, ""), (409, "mentor_busy")]
    session = Session.objects.get()
    assert sorted(get_balance(user=s).held for s in students) == [0, 10]
    assert get_balance(user=session.student).held == 10
    assert_ledger_balanced()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_student_racing_two_mentors_for_one_time_books_exactly_one(monkeypatch):
    real_refusal = session_services._booking_refusal

    def check_then_pause(**kwargs):
        refusal = real_refusal(**kwargs)
        clock.sleep(0.3)
        return refusal

    monkeypatch.setattr(session_services, "_booking_refusal", check_then_pause)
    profiles = [always_available(MentorProfileFactory()) for _ in range(2)]
    student = StudentFactory()
    fund(student, 40)
    start = in_days(2)
    barrier = threading.Barrier(len(profiles))
    outcomes: list[tuple[int, str]] = []

    def race(profile):
        try:
            barrier.wait()
            response = book(client_for(student), profile, start)
            outcomes.append((response.status_code, response.json().get("code", "")))
        finally:
            connection.close()

    threads = [threading.Thread(target=race, args=(profile,)) for profile in profiles]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == [(201, ""), (409, "student_busy")]
    assert Session.objects.count() == 1
    assert get_balance(user=student).held == 10
    assert_ledger_balanced()
