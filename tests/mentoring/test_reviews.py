"""Reviews (the student, once, after completion; the mentor's rating follows) and the
session list (scoped to the caller, filters, query count)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from mentoring import services
from mentoring.models import MentorProfile, Review, Session
from tests.accounts.factories import StudentFactory
from tests.conftest import client_for
from tests.mentoring.factories import MentorProfileFactory, SessionFactory

pytestmark = pytest.mark.django_db

Status = Session.Status


def completed(**kwargs) -> Session:
    session = SessionFactory(
        scheduled_at=timezone.now() - timedelta(hours=2), status=Status.CONFIRMED, **kwargs
    )
    return services.session_complete(session_id=session.pk, acting_user=session.mentor)


def review(session, rating=5, comment="Great", user=None):
    return client_for(user or session.student).post(
        f"/api/v1/sessions/{session.pk}/review", {"rating": rating, "comment": comment}
    )


def test_student_reviews_a_completed_session_once(mentor):
    MentorProfileFactory(user=mentor)
    session = completed(mentor=mentor)

    response = review(session, rating=4, comment="Clear explanations")
    again = review(session, rating=1)

    assert response.status_code == 201
    created = Review.objects.get()
    assert response.json() == {
        "id": created.pk,
        "session_id": session.pk,
        "student": {
            "id": session.student_id,
            "username": session.student.username,
            "first_name": session.student.first_name,
            "last_name": session.student.last_name,
        },
        "rating": 4,
        "comment": "Clear explanations",
        "created_at": response.json()["created_at"],
    }
    assert (again.status_code, again.json()["code"]) == (409, "already_reviewed")
    assert Review.objects.count() == 1
    profile = MentorProfile.objects.get(user=mentor)
    assert (profile.rating, profile.review_count) == (Decimal("4.00"), 1)


def test_rating_is_the_mean_of_the_reviews(mentor):
    MentorProfileFactory(user=mentor)
    for rating in (5, 4, 4):
        review(completed(mentor=mentor), rating=rating)

    profile = MentorProfile.objects.get(user=mentor)
    assert (profile.rating, profile.review_count, profile.total_sessions) == (
        Decimal("4.33"),
        3,
        3,
    )
    detail = client_for(StudentFactory()).get(f"/api/v1/mentors/{mentor.pk}").json()
    assert (detail["rating"], detail["review_count"], detail["total_sessions"]) == (4.33, 3, 3)


@pytest.mark.parametrize("status", [Status.REQUESTED, Status.CONFIRMED, Status.CANCELLED])
def test_only_completed_sessions_can_be_reviewed(status):
    session = SessionFactory(status=status)

    response = review(session)

    assert (response.status_code, response.json()["code"]) == (409, "session_not_completed")
    assert not Review.objects.exists()


def test_only_the_student_reviews():
    session = completed()

    response = review(session, user=session.mentor)

    assert (response.status_code, response.json()["code"]) == (403, "student_only")
    assert not Review.objects.exists()


@pytest.mark.parametrize(
    "body",
    [{"rating": 0}, {"rating": 6}, {"rating": "five"}, {}, {"rating": 3, "comment": "x" * 2001}],
)
def test_bad_reviews_are_400(body):
    session = completed()

    response = client_for(session.student).post(f"/api/v1/sessions/{session.pk}/review", body)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert not Review.objects.exists()
    assert MentorProfile.objects.get(user=session.mentor).rating is None


def test_mentor_reviews_are_listed_newest_first(mentor, django_assert_num_queries):
    MentorProfileFactory(user=mentor)
    sessions = [completed(mentor=mentor) for _ in range(3)]
    for session in sessions:
        review(session)
    client = client_for(StudentFactory())

    for page_size in (1, 3):
        # 1 the caller (JWT), 2 the mentor, 3 COUNT, 4 the page with students joined.
        with django_assert_num_queries(4):
            response = client.get(f"/api/v1/mentors/{mentor.pk}/reviews?page_size={page_size}")
        assert response.json()["count"] == 3
        assert len(response.json()["results"]) == page_size
    assert [r["session_id"] for r in response.json()["results"]] == [
        s.pk for s in reversed(sessions)
    ]


# --- the session list -------------------------------------------------------------------------


def ids(response) -> list[int]:
    assert response.status_code == 200, response.json()
    return [row["id"] for row in response.json()["results"]]


def test_needs_review_lists_completed_unreviewed_sessions_of_the_student(student):
    reviewed = completed(student=student)
    review(reviewed)
    waiting = completed(student=student)
    SessionFactory(student=student, status=Status.REQUESTED)
    completed()  # someone else's
    client = client_for(student)

    assert ids(client.get("/api/v1/sessions?needs_review=true")) == [waiting.pk]
    assert waiting.pk not in ids(client.get("/api/v1/sessions?needs_review=false"))
    mentor_client = client_for(waiting.mentor)
    assert ids(mentor_client.get("/api/v1/sessions?needs_review=true")) == []


def test_the_list_holds_the_callers_sessions_in_either_role_with_filters(mentor):
    MentorProfileFactory(user=mentor)
    now = timezone.now()
    as_mentor = SessionFactory(mentor=mentor, scheduled_at=now + timedelta(days=2))
    as_student = SessionFactory(
        mentor=mentor, scheduled_at=now + timedelta(days=1), status=Status.CONFIRMED
    )
    past = SessionFactory(
        mentor=mentor, scheduled_at=now - timedelta(days=1), status=Status.COMPLETED
    )
    SessionFactory()  # not theirs
    client = client_for(mentor)

    assert ids(client.get("/api/v1/sessions")) == [as_mentor.pk, as_student.pk, past.pk]
    assert ids(client.get("/api/v1/sessions?upcoming=true")) == [as_student.pk, as_mentor.pk]
    assert ids(client.get("/api/v1/sessions?upcoming=false")) == [past.pk]
    assert ids(client.get("/api/v1/sessions?status=confirmed")) == [as_student.pk]
    assert ids(client.get("/api/v1/sessions?role=mentor")) == [as_mentor.pk, as_student.pk, past.pk]
    assert ids(client.get("/api/v1/sessions?role=student")) == []
    assert ids(client_for(as_student.student).get("/api/v1/sessions?role=student")) == [
        as_student.pk
    ]


@pytest.mark.parametrize(
    "query", ["status=done", "role=teacher", "upcoming=yes", "needs_review=1", "page_size=0"]
)
def test_bad_list_filters_are_400(student_client, query):
    response = student_client.get(f"/api/v1/sessions?{query}")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_session_list_query_count_does_not_grow_with_page_size(
    student, student_client, django_assert_num_queries
):
    for _ in range(25):
        review(completed(student=student))
    for page_size in (2, 20):
        # 1 the caller (JWT), 2 COUNT, 3 the page with student, mentor and review joined.
        with django_assert_num_queries(3):
            response = student_client.get(f"/api/v1/sessions?page_size={page_size}")
        assert len(response.json()["results"]) == page_size
        assert response.json()["results"][0]["review"]["rating"] == 5
