"""GET /api/v1/auth/me/export: everything the platform holds about the caller, from every
app, never another user's data and never a secret."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from accounts import selectors
from accounts.models import Credential
from tests.accounts.factories import PASSWORD, MentorFactory
from tests.accounts.privacy import populate
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

URL = "/api/v1/auth/me/export"
SECTIONS = {"account", "attendance", "courses", "credits", "jobs", "mentoring", "videos"}


def login(user) -> dict:
    response = APIClient().post("/api/v1/auth/login", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 200
    return response.json()


def test_export_has_every_section_with_the_callers_data():
    user = MentorFactory(first_name="Ada", last_name="Lovelace")
    populate(user, rows=2, marker="adamark")

    response = client_for(user).get(URL)

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith(
        f'attachment; filename="lectern-data-{user.pk}-'
    )
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert set(body) == {"exported_at", "user_id", *SECTIONS}
    assert body["user_id"] == user.pk
    account = body["account"]
    assert (account["profile"]["email"], account["profile"]["last_name"]) == (
        user.email,
        "Lovelace",
    )
    assert account["email_addresses"] == [{"email": user.email, "verified": True, "primary": True}]
    assert [a["uid"] for a in account["social_accounts"]] == ["google-adamark"]
    assert [(c["provider"], c["last_four"]) for c in account["credentials"]] == [
        ("canvas", "6789"),
        ("youtube", "cdef"),
    ]
    kinds = ["credits_granted", "credits_granted", "welcome", "welcome"]
    assert sorted(n["type"] for n in account["notifications"]) == kinds
    assert sorted(e["type"] for e in account["emails"]) == kinds
    assert {e["status"] for e in account["emails"]} == {"pending"}
    assert account["notification_preferences"] == [
        {"type": "new_message", "email": False, "in_app": True}
    ]
    assert [a["reason"] for a in account["staff_actions"]] == [
        "adamark grant 0",
        "adamark grant 1",
    ]
    credits = body["credits"]
    assert [t["reason"] for t in credits["transactions"] if t["kind"] == "grant"] == [
        "adamark grant 0",
        "adamark grant 1",
    ]
    assert credits["account"]["available"] == (
        credits["account"]["allowance"] + credits["account"]["purchased"]
    )
    # the held prices of the sessions booked as a student: two upcoming, two reviewed
    assert len(credits["holds"]) == 4
    courses = body["courses"]
    assert [e["course_title"] for e in courses["enrollments"]] == [
        "adamark course 0",
        "adamark course 1",
    ]
    assert [a["question_text"] for a in courses["quiz_answers"]] == [
        "adamark question 0",
        "adamark question 1",
    ]
    assert len(courses["invitations"]) == 2
    assert [c["title"] for c in courses["courses_taught"]] == ["adamark taught course"]
    attendance = body["attendance"]
    assert [d["date"] for d in attendance["days"]] == ["2026-01-01", "2026-01-02"]
    assert [v["video_title"] for v in attendance["videos"]] == [
        "adamark video 0",
        "adamark video 1",
    ]
    assert len(attendance["video_days"]) == 2
    assert [e["event_id"] for e in attendance["events"]] == ["adamark-event-0", "adamark-event-1"]
    jobs = body["jobs"]
    assert [p["title"] for p in jobs["projects"]] == ["adamark film 0", "adamark film 1"]
    assert [j["error"] for j in jobs["jobs"]] == ["adamark job 0", "adamark job 1"]
    assert [u["title"] for u in jobs["youtube_uploads"]] == ["adamark upload 0", "adamark upload 1"]
    assert jobs["youtube_connection"]["channel_id"] == "UC-adamark"
    assert jobs["youtube_connection"]["last_four"] == "cdef"
    mentoring = body["mentoring"]
    assert mentoring["mentor_profile"]["headline"] == "adamark headline"
    assert mentoring["mentor_profile"]["expertise"] == ["adamark-expertise"]
    assert len(mentoring["mentor_profile"]["availability"]) == 2
    assert len(mentoring["mentor_profile"]["blocked_periods"]) == 2
    topics = sorted(s["topic"] for s in mentoring["sessions"])
    assert [t for t in topics if t.startswith("adamark")] == [
        "adamark learning 0",
        "adamark learning 1",
        "adamark teaching 0",
        "adamark teaching 1",
    ]
    assert sorted(m["body"] for m in mentoring["messages"]) == [
        "adamark hears 0",
        "adamark hears 1",
        "adamark says 0",
        "adamark says 1",
    ]
    assert [r["comment"] for r in mentoring["reviews_written"]] == [
        "adamark wrote review 0",
        "adamark wrote review 1",
    ]
    assert [r["comment"] for r in mentoring["reviews_received"]] == [
        "adamark got review 0",
        "adamark got review 1",
    ]
    assert [i["error"] for i in body["videos"]["playlist_imports"]] == [
        "adamark import 0",
        "adamark import 1",
    ]


def test_export_never_shows_another_users_data():
    user = MentorFactory()
    other = MentorFactory()
    populate(user, rows=1, marker="mine")
    populate(other, rows=2, marker="theirs")

    text = client_for(user).get(URL).content.decode()

    assert "mine" in text
    assert "theirs" not in text
    assert other.email not in text


def test_export_contains_no_secret():
    user = MentorFactory()
    secrets = populate(user, rows=1, marker="secretive")
    pair = login(user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {pair['access']}")
    user.refresh_from_db()
    with connection.cursor() as cursor:
        cursor.execute("SELECT access_token, refresh_token FROM accounts_credential")
        ciphertexts = [value for row in cursor.fetchall() for value in row if value]

    response = client.get(URL)

    assert response.status_code == 200
    text = response.content.decode()
    forbidden = [
        *secrets.values,
        *ciphertexts,
        user.password,
        user.password.split("$")[-1],
        pair["access"],
        pair["refresh"],
        *OutstandingToken.objects.filter(user=user).values_list("token", flat=True),
    ]
    assert len(forbidden) == 11
    assert [value for value in forbidden if value in text] == []
    assert Credential.objects.filter(user=user).count() == 2
    assert "password" not in json.loads(text)["account"]["profile"]


def test_export_needs_authentication():
    response = APIClient().get(URL)

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_export_for_a_user_without_data_has_empty_sections():
    user = MentorFactory()

    body = client_for(user).get(URL).json()

    assert body["credits"] == {"account": None, "transactions": [], "holds": []}
    assert body["jobs"]["youtube_connection"] is None
    assert body["mentoring"]["mentor_profile"] is None
    assert body["account"]["credentials"] == []


def export_queries(user) -> int:
    with CaptureQueriesContext(connection) as queries:
        selectors.personal_data_export(user=user)
    return len(queries)


def test_export_reads_a_fixed_number_of_queries(django_assert_num_queries):
    user = MentorFactory()
    populate(user, rows=1, marker="few")
    # account: email addresses, social accounts, credentials, notifications, emails,
    # preferences, staff actions (7); credits: account, transactions, holds (3);
    # courses: enrollments, quiz answers, invitations, courses taught (4); attendance: days,
    # videos, video days, events (4); jobs: YouTube credential, projects, jobs, uploads (4);
    # mentoring: profile, expertise, availability, blocked periods, sessions, messages,
    # reviews written and received (8); videos: playlist imports (1).
    with django_assert_num_queries(31):
        selectors.personal_data_export(user=user)


def test_export_queries_do_not_grow_with_rows():
    few = MentorFactory()
    many = MentorFactory()
    populate(few, rows=1, marker="few")
    populate(many, rows=4, marker="many")

    assert export_queries(many) == export_queries(few)
