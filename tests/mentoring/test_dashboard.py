"""GET /stats/dashboard: the caller's courses, sessions, reviews and credits, against known
data, in a fixed number of queries."""

from datetime import timedelta

import pytest
from django.utils import timezone

from courses.models import Enrollment
from credits.models import CreditAccount
from mentoring import selectors
from mentoring.models import Session
from tests.accounts.factories import AdminFactory, MentorFactory, StudentFactory
from tests.attendance.factories import VideoWatchFactory
from tests.conftest import client_for
from tests.courses.factories import CourseFactory, EnrollmentFactory
from tests.mentoring.factories import ReviewFactory, SessionFactory, fund
from tests.videos.factories import VideoFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/stats/dashboard"
Status = Session.Status


def courses_for(student) -> None:
    """Active in three courses: one completed (its one available video complete; an
    unavailable one does not hold it back), one started (one of two videos complete), one
    untouched. A dropped course with a completed video does not count."""
    completed, started, untouched, dropped = CourseFactory.create_batch(4)
    for course in (completed, started, untouched):
        EnrollmentFactory(user=student, course=course)
    EnrollmentFactory(user=student, course=dropped, status=Enrollment.Status.DROPPED)
    VideoWatchFactory(user=student, video=VideoFactory(course=completed), completed=True)
    VideoFactory(course=completed, is_available=False)
    VideoWatchFactory(user=student, video=VideoFactory(course=started), completed=True)
    VideoFactory(course=started)
    VideoFactory(course=untouched)
    VideoWatchFactory(user=student, video=VideoFactory(course=dropped), completed=True)


@pytest.fixture
def known_data():
    """A student's seven sessions with one mentor: three completed (reviewed 5 and 4, one
    not reviewed), a confirmed and a requested one ahead (upcoming), a requested one whose
    time passed and a cancelled one ahead (neither). The mentor also gave another student a
    completed session (reviewed 4) and booked a session of their own with another mentor
    (not theirs as mentor)."""
    student = StudentFactory()
    mentor = MentorFactory()
    past = timezone.now() - timedelta(days=2)
    ahead = timezone.now() + timedelta(days=2)

    def session(status, scheduled_at, user=student, teacher=mentor):
        return SessionFactory(
            student=user, mentor=teacher, status=status, scheduled_at=scheduled_at
        )

    ReviewFactory(session=session(Status.COMPLETED, past), rating=5)
    ReviewFactory(session=session(Status.COMPLETED, past - timedelta(days=1)), rating=4)
    session(Status.COMPLETED, past - timedelta(days=2))
    session(Status.CONFIRMED, ahead)
    session(Status.REQUESTED, ahead + timedelta(days=1))
    session(Status.REQUESTED, past - timedelta(days=3))
    session(Status.CANCELLED, ahead + timedelta(days=2))
    ReviewFactory(session=session(Status.COMPLETED, past, user=StudentFactory()), rating=4)
    session(Status.CONFIRMED, ahead, user=mentor, teacher=MentorFactory())
    courses_for(student)
    fund(student, 7)  # on top of the free tier's 3: every session's price is held apart
    return {"student": student, "mentor": mentor}


def test_a_students_dashboard(known_data):
    client = client_for(known_data["student"])

    response = client.get(URL)

    assert response.status_code == 200
    assert response.json() == {
        "total_courses": 3,
        "in_progress": 1,
        "completed": 1,
        "sessions_as": "student",
        "total_sessions": 7,
        "upcoming_sessions": 2,
        "completed_sessions": 3,
        "total_reviews": 2,
        "average_rating": 4.5,
        "credits_available": 10,
    }
    assert client.get("/api/v1/credits").json()["available"] == 10


def test_a_mentors_dashboard_counts_what_they_gave_and_received_as_mentor(known_data):
    mentor = known_data["mentor"]
    client = client_for(mentor)

    response = client.get(URL)

    assert response.status_code == 200
    assert response.json() == {
        "total_courses": 0,
        "in_progress": 0,
        "completed": 0,
        "sessions_as": "mentor",
        "total_sessions": 8,
        "upcoming_sessions": 2,
        "completed_sessions": 4,
        "total_reviews": 3,
        "average_rating": 4.33,  # (5 + 4 + 4) / 3
        "credits_available": client.get("/api/v1/credits").json()["available"],
    }


def test_an_admin_is_counted_as_a_student():
    admin = AdminFactory()
    SessionFactory(student=admin, status=Status.CONFIRMED)

    body = client_for(admin).get(URL).json()

    assert (body["sessions_as"], body["total_sessions"], body["upcoming_sessions"]) == (
        "student",
        1,
        1,
    )


def test_a_newcomers_dashboard_is_zeros_and_their_tier_allowance(student, student_client):
    response = student_client.get(URL)

    assert response.json() == {
        "total_courses": 0,
        "in_progress": 0,
        "completed": 0,
        "sessions_as": "student",
        "total_sessions": 0,
        "upcoming_sessions": 0,
        "completed_sessions": 0,
        "total_reviews": 0,
        "average_rating": None,
        "credits_available": 3,
    }
    assert not CreditAccount.objects.filter(user=student).exists()  # a read writes nothing


def test_the_selector_costs_four_queries(known_data, django_assert_num_queries):
    # sessions with their reviews; active enrollments; complete and available videos per
    # started course; credit account
    with django_assert_num_queries(4):
        stats = selectors.dashboard_stats(user=known_data["student"])
    assert stats["completed"] == 1


def test_upcoming_sessions_start_after_now(student):
    now = timezone.now()
    SessionFactory(student=student, status=Status.CONFIRMED, scheduled_at=now)
    SessionFactory(student=student, status=Status.IN_PROGRESS, scheduled_at=now)
    SessionFactory(
        student=student, status=Status.CONFIRMED, scheduled_at=now + timedelta(minutes=1)
    )

    stats = selectors.dashboard_stats(user=student, now=now)

    assert (stats["total_sessions"], stats["upcoming_sessions"]) == (3, 1)


def test_the_dashboard_needs_authentication(api_client):
    response = api_client.get(URL)

    assert response.status_code == 401
    assert response.json() == {
        "status_code": 401,
        "code": "not_authenticated",
        "message": "Authentication credentials were not provided.",
    }


@pytest.mark.parametrize("role", ["student", "mentor"])
@pytest.mark.parametrize("volume", [1, 15])
def test_the_dashboard_costs_five_queries_whatever_the_volume(
    role, volume, django_assert_num_queries
):
    student, mentor = StudentFactory(), MentorFactory()
    for index in range(volume):
        ReviewFactory(
            session=SessionFactory(
                student=student,
                mentor=mentor,
                status=Status.COMPLETED,
                scheduled_at=timezone.now() - timedelta(days=index + 1),
            ),
            rating=index % 5 + 1,
        )
        course = CourseFactory()
        EnrollmentFactory(user=student, course=course)
        VideoWatchFactory(user=student, video=VideoFactory(course=course), completed=True)
    client = client_for(student if role == "student" else mentor)

    # user; sessions with their reviews; active enrollments; complete and available videos
    # per started course; credit account
    with django_assert_num_queries(5):
        response = client.get(URL)

    assert response.json()["total_sessions"] == volume
