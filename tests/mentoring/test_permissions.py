"""Who may see and act on a session: its participants (each on their side) and staff;
anyone else gets a 404 for every session URL, and nothing changes."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Notification
from credits.services import get_balance
from mentoring.models import Review, Session
from tests.accounts.factories import AdminFactory, MentorFactory, StudentFactory
from tests.conftest import client_for
from tests.mentoring.factories import SessionFactory

pytestmark = pytest.mark.django_db

ACTIONS = [
    ("get", "", {}),
    ("post", "/confirm", {"meeting_link": "https://meet.example.com/x"}),
    ("post", "/decline", {}),
    ("post", "/cancel", {"reason": "No"}),
    ("post", "/reschedule", {"scheduled_at": "2099-01-05T10:00:00Z"}),
    ("post", "/start", {}),
    ("post", "/complete", {}),
    ("post", "/no-show", {}),
    ("post", "/review", {"rating": 5}),
]


@pytest.mark.parametrize("outsider", [StudentFactory, MentorFactory])
@pytest.mark.parametrize(("method", "suffix", "body"), ACTIONS)
def test_outsiders_get_404_and_change_nothing(outsider, method, suffix, body):
    session = SessionFactory(scheduled_at=timezone.now() - timedelta(minutes=5))
    before = get_balance(user=session.student)
    client = client_for(outsider())

    response = getattr(client, method)(f"/api/v1/sessions/{session.pk}{suffix}", body)

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    session.refresh_from_db()
    assert session.status == Session.Status.REQUESTED
    assert get_balance(user=session.student) == before
    assert not Notification.objects.exists()


@pytest.mark.parametrize(("method", "suffix", "body"), ACTIONS)
def test_anonymous_callers_get_401(api_client, method, suffix, body):
    session = SessionFactory()

    response = getattr(api_client, method)(f"/api/v1/sessions/{session.pk}{suffix}", body)

    assert response.status_code == 401


def test_participants_and_staff_see_the_session():
    session = SessionFactory()

    for user in (session.student, session.mentor, AdminFactory()):
        response = client_for(user).get(f"/api/v1/sessions/{session.pk}")
        assert response.status_code == 200
        assert response.json()["id"] == session.pk


def test_staff_do_not_see_others_sessions_in_their_own_list():
    SessionFactory()

    response = client_for(AdminFactory()).get("/api/v1/sessions")

    assert response.json()["count"] == 0


def test_unknown_session_is_404(student_client):
    assert student_client.get("/api/v1/sessions/999999").status_code == 404


# The wrong side of a session is refused before its body is read: the same 403 whether the
# body is valid, empty or nonsense, and nothing changes.
REQUESTED, COMPLETED = Session.Status.REQUESTED, Session.Status.COMPLETED
WRONG_SIDES = [
    ("student", REQUESTED, "/confirm", "mentor_only"),
    ("staff", REQUESTED, "/confirm", "mentor_only"),
    ("student", REQUESTED, "/decline", "mentor_only"),
    ("staff", REQUESTED, "/reschedule", "participants_only"),
    ("mentor", COMPLETED, "/review", "student_only"),
    ("staff", COMPLETED, "/review", "student_only"),
]


@pytest.mark.parametrize("body", [{}, {"meeting_link": 7, "scheduled_at": "soon", "rating": 9}])
@pytest.mark.parametrize(("side", "status", "suffix", "code"), WRONG_SIDES)
def test_the_wrong_side_is_refused_before_the_body_is_validated(side, status, suffix, code, body):
    session = SessionFactory(status=status)
    callers = {"student": session.student, "mentor": session.mentor, "staff": AdminFactory()}
    before = get_balance(user=session.student)

    response = client_for(callers[side]).post(f"/api/v1/sessions/{session.pk}{suffix}", body)

    assert (response.status_code, response.json()["code"]) == (403, code)
    assert "errors" not in response.json()
    assert Session.objects.get().updated_at == session.updated_at
    assert not Review.objects.exists()
    assert get_balance(user=session.student) == before


@pytest.mark.parametrize("body", [{}, {"mentor_id": "x"}])
def test_only_students_book_whatever_the_body(body):
    for caller in (MentorFactory(), AdminFactory()):
        response = client_for(caller).post("/api/v1/sessions", body)

        assert response.status_code == 403
        assert response.json() == {
            "status_code": 403,
            "code": "students_only",
            "message": "Only students book sessions.",
        }
    assert not Session.objects.exists()
