"""Django admin of mentoring: the lists load with their filters, money and messages are
read-only, and the cancel action goes through the service."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import AuditLog
from credits.services import get_balance
from mentoring.models import Session
from tests.accounts.factories import AdminFactory
from tests.credits.helpers import assert_ledger_balanced
from tests.mentoring.factories import MessageFactory, SessionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser():
    return AdminFactory(is_superuser=True)


@pytest.fixture
def admin_client(superuser) -> Client:
    client = Client()
    client.force_login(superuser)
    return client


@pytest.mark.parametrize(
    "url",
    [
        "/admin/mentoring/mentorprofile/",
        "/admin/mentoring/session/",
        "/admin/mentoring/session/?status__exact=requested",
        "/admin/mentoring/review/",
        "/admin/mentoring/message/",
        "/admin/accounts/notification/",
        "/admin/accounts/notificationpreference/",
        "/admin/django_celery_beat/periodictask/",
    ],
)
def test_admin_lists_load(admin_client, url):
    SessionFactory()
    MessageFactory()

    assert admin_client.get(url).status_code == 200


def test_session_status_filter_keeps_only_that_status(admin_client):
    requested = SessionFactory()
    SessionFactory(status=Session.Status.CONFIRMED)

    response = admin_client.get("/admin/mentoring/session/?status__exact=requested")

    assert [s.pk for s in response.context["cl"].result_list] == [requested.pk]


def test_session_date_filter_keeps_only_that_period(admin_client):
    past = SessionFactory(scheduled_at=timezone.now() - timedelta(days=40))
    SessionFactory(scheduled_at=timezone.now() + timedelta(days=3))
    since = (timezone.now() - timedelta(days=60)).isoformat()
    until = (timezone.now() - timedelta(days=30)).isoformat()

    response = admin_client.get(
        "/admin/mentoring/session/",
        {"scheduled_at__gte": since, "scheduled_at__lt": until},
    )

    assert response.status_code == 200
    assert [s.pk for s in response.context["cl"].result_list] == [past.pk]


def test_messages_and_sessions_cannot_be_added_or_edited(admin_client):
    session = SessionFactory()
    message = MessageFactory()

    assert admin_client.get("/admin/mentoring/message/add/").status_code == 403
    assert admin_client.get("/admin/mentoring/session/add/").status_code == 403
    response = admin_client.post(
        f"/admin/mentoring/message/{message.pk}/change/", {"body": "edited"}
    )
    assert response.status_code == 403
    session_page = admin_client.get(f"/admin/mentoring/session/{session.pk}/change/")
    assert session_page.status_code == 200  # view only
    message.refresh_from_db()
    assert message.body != "edited"


def test_cancel_action_releases_credits_and_is_audited(admin_client, superuser):
    session = SessionFactory(scheduled_at=timezone.now() + timedelta(days=2))
    finished = SessionFactory(status=Session.Status.COMPLETED)
    available, held = (
        get_balance(user=session.student).available,
        get_balance(user=session.student).held,
    )

    response = admin_client.post(
        "/admin/mentoring/session/",
        {"action": "cancel_sessions", "_selected_action": [session.pk, finished.pk], "index": 0},
        follow=True,
    )

    assert response.status_code == 200
    shown = [str(m) for m in response.context["messages"]]
    assert "Cancelled 1 session(s)." in shown
    assert any(f"Session {finished.pk}:" in m for m in shown)
    session.refresh_from_db()
    assert (session.status, session.cancelled_by) == (Session.Status.CANCELLED, superuser)
    assert get_balance(user=session.student).available == available + held
    assert AuditLog.objects.get().action == "mentoring.session.cancel"
    assert_ledger_balanced()
