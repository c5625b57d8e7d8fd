"""GET /stats/platform (public, cached five minutes) and GET /stats/user, against known
data."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from mentoring import selectors
from mentoring.models import MentorProfile, Session
from tests.accounts.factories import AdminFactory, MentorFactory, StudentFactory
from tests.conftest import client_for
from tests.courses.factories import CourseFactory
from tests.mentoring.factories import SessionFactory

pytestmark = pytest.mark.django_db

Status = Session.Status


@pytest.fixture
def known_data():
    """Active: 3 students, 2 mentors, 1 admin; a suspended student and a deleted mentor do
    not count. 2 completed sessions of 4. 2 published courses of 3."""
    students = StudentFactory.create_batch(3)
    mentors = MentorFactory.create_batch(2)
    AdminFactory()
    StudentFactory(is_active=False, suspended_at=timezone.now())
    MentorFactory(deleted_at=timezone.now(), is_active=False)
    past = timezone.now() - timedelta(days=1)
    for status in (Status.COMPLETED, Status.COMPLETED, Status.CANCELLED):
        SessionFactory(student=students[0], mentor=mentors[0], scheduled_at=past, status=status)
    SessionFactory(student=students[1], mentor=mentors[0])
    CourseFactory.create_batch(2, instructor=mentors[1])
    CourseFactory(instructor=mentors[1], status="draft")
    return {"students": students, "mentors": mentors}


def test_platform_stats_are_public_and_count_known_data(api_client, known_data):
    response = api_client.get("/api/v1/stats/platform", HTTP_AUTHORIZATION="Bearer garbage")

    assert response.status_code == 200
    assert response.json() == {
        "total_users": 6,
        "total_mentors": 2,
        "total_students": 3,
        "total_sessions": 2,
        "total_courses": 2,
        "platform_name": "Lectern",
        "version": "0.1.0",
    }


def test_platform_stats_are_cached_for_five_minutes(
    api_client, known_data, django_assert_num_queries
):
    first = api_client.get("/api/v1/stats/platform").json()
    StudentFactory.create_batch(2)

    with django_assert_num_queries(0):
        cached = api_client.get("/api/v1/stats/platform").json()
    selectors.platform_stats.invalidate_all()
    fresh = api_client.get("/api/v1/stats/platform").json()

    assert cached == first
    assert (fresh["total_users"], fresh["total_students"]) == (8, 5)
    assert selectors.platform_stats.ttl == 300


def test_user_stats_of_a_student(student, student_client):
    response = student_client.get("/api/v1/stats/user")

    assert response.status_code == 200
    assert response.json() == {
        "user_id": student.pk,
        "email": student.email,
        "role": "student",
        "created_at": student.date_joined.isoformat().replace("+00:00", "Z"),
        "mentor_stats": None,
    }


def test_user_stats_of_a_mentor(known_data):
    mentor = known_data["mentors"][0]
    MentorProfile.objects.filter(user=mentor).update(rating=Decimal("4.50"), review_count=2)

    response = client_for(mentor).get("/api/v1/stats/user")

    assert response.json()["mentor_stats"] == {
        "total_sessions": 4,
        "completed_sessions": 2,
        "rating": 4.5,
        "review_count": 2,
    }
    other = client_for(known_data["mentors"][1]).get("/api/v1/stats/user").json()
    assert other["mentor_stats"] == {
        "total_sessions": 0,
        "completed_sessions": 0,
        "rating": None,
        "review_count": 0,
    }


def test_user_stats_need_authentication(api_client):
    assert api_client.get("/api/v1/stats/user").status_code == 401
