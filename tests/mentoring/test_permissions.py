"""Who may see and act on a session: its participants (each on their side) and staff;
anyone else gets a 404 for every session URL, and nothing changes."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Notification
from credits.services import get_balance
from mentoring.models import Session
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
