"""Mentor profiles: the caller's own (GET/PUT/PATCH /mentors/me), weekly availability and
blocked periods, the public list with search, filters and ordering, and the detail with the
next free slots."""

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from freezegun import freeze_time

from mentoring.models import AvailabilityWindow, BlockedPeriod, MentorExpertise, MentorProfile
from tests.accounts.factories import MentorFactory
from tests.conftest import client_for
from tests.mentoring.factories import (
    AvailabilityWindowFactory,
    BlockedPeriodFactory,
    MentorProfileFactory,
    SessionFactory,
)

pytestmark = pytest.mark.django_db

PROFILE = {
    "headline": "Algorithms, gently",
    "bio": "Ten years of teaching.",
    "specialization": "Algorithms",
    "expertise": [" Python ", "graphs", "python", "Dynamic   Programming"],
    "experience_years": 10,
    "hourly_rate_credits": 12,
    "time_zone": "Europe/Berlin",
    "is_available": True,
}


# --- /mentors/me ------------------------------------------------------------------------------


def test_first_visit_creates_the_profile_with_defaults(mentor, mentor_client, settings):
    settings.MENTORING_DEFAULT_HOURLY_RATE_CREDITS = 15

    response = mentor_client.get("/api/v1/mentors/me")
    again = mentor_client.get("/api/v1/mentors/me")

    assert response.status_code == 200
    assert response.json() == {
        "id": mentor.pk,
        "username": mentor.username,
        "first_name": mentor.first_name,
        "last_name": mentor.last_name,
        "headline": "",
        "bio": "",
        "specialization": "",
        "expertise": [],
        "experience_years": 0,
        "hourly_rate_credits": 15,
        "time_zone": "UTC",
        "is_available": True,
        "rating": None,
        "review_count": 0,
        "total_sessions": 0,
    }
    assert again.json() == response.json()
    assert MentorProfile.objects.count() == 1


def test_put_replaces_the_profile_and_normalises_expertise(mentor, mentor_client):
    response = mentor_client.put("/api/v1/mentors/me", PROFILE)

    assert response.status_code == 200
    body = response.json()
    assert body["expertise"] == ["dynamic programming", "graphs", "python"]
    assert (body["hourly_rate_credits"], body["time_zone"], body["experience_years"]) == (
        12,
        "Europe/Berlin",
        10,
    )
    profile = MentorProfile.objects.get(user=mentor)
    assert (profile.headline, profile.specialization) == ("Algorithms, gently", "Algorithms")
    assert sorted(MentorExpertise.objects.values_list("name", flat=True)) == [
        "dynamic programming",
        "graphs",
        "python",
    ]


def test_patch_changes_only_what_it_gives(mentor, mentor_client):
    mentor_client.put("/api/v1/mentors/me", PROFILE)

    response = mentor_client.patch("/api/v1/mentors/me", {"expertise": ["rust"], "bio": "New"})

    assert response.status_code == 200
    assert (response.json()["expertise"], response.json()["bio"]) == (["rust"], "New")
    assert response.json()["headline"] == "Algorithms, gently"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"hourly_rate_credits": 0}, "hourly_rate_credits"),
        ({"experience_years": -1}, "experience_years"),
        ({"expertise": ["x" * 51]}, "expertise"),
        ({"expertise": [f"t{n}" for n in range(21)]}, "expertise"),
        ({"is_available": "maybe"}, "is_available"),
    ],
)
def test_bad_profile_input_is_400_and_changes_nothing(mentor, mentor_client, change, field):
    mentor_client.put("/api/v1/mentors/me", PROFILE)
    before = mentor_client.get("/api/v1/mentors/me").json()

    response = mentor_client.patch("/api/v1/mentors/me", change)

    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]
    assert mentor_client.get("/api/v1/mentors/me").json() == before


def test_put_needs_every_field(mentor_client):
    response = mentor_client.put("/api/v1/mentors/me", {"headline": "Only this"})

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {
        "bio",
        "specialization",
        "experience_years",
        "hourly_rate_credits",
        "time_zone",
        "is_available",
    }


def test_only_mentors_have_a_profile(student_client, staff_client):
    for client in (student_client, staff_client):
        assert client.get("/api/v1/mentors/me").json()["code"] == "not_a_mentor"
        assert client.put("/api/v1/mentors/me", PROFILE).status_code == 403
    assert not MentorProfile.objects.exists()


@pytest.mark.parametrize("method", ["put", "patch"])
@pytest.mark.parametrize("body", [{}, {"hourly_rate_credits": "lots", "time_zone": "Mars/Base"}])
def test_non_mentors_are_refused_before_their_body_is_validated(
    student_client, staff_client, method, body
):
    for client in (student_client, staff_client):
        response = getattr(client, method)("/api/v1/mentors/me", body)

        assert response.status_code == 403
        assert response.json() == {
            "status_code": 403,
            "code": "not_a_mentor",
            "message": "Only mentors have a mentor profile.",
        }
    assert not MentorProfile.objects.exists()


# --- weekly availability ----------------------------------------------------------------------


def test_mentor_manages_weekly_windows(mentor, mentor_client):
    created = mentor_client.post(
        "/api/v1/mentors/me/availability",
        {"weekday": 0, "start_time": "09:00", "end_time": "12:00"},
    )
    evening = mentor_client.post(
        "/api/v1/mentors/me/availability",
        {"weekday": 0, "start_time": "20:00", "end_time": "00:00"},
    )

    assert (created.status_code, evening.status_code) == (201, 201)
    window_id = created.json()["id"]
    assert created.json() == {
        "id": window_id,
        "weekday": 0,
        "start_time": "09:00:00",
        "end_time": "12:00:00",
    }
    updated = mentor_client.patch(
        f"/api/v1/mentors/me/availability/{window_id}", {"end_time": "13:30"}
    )
    assert (updated.status_code, updated.json()["end_time"]) == (200, "13:30:00")
    listed = mentor_client.get("/api/v1/mentors/me/availability").json()
    assert [(w["start_time"], w["end_time"]) for w in listed] == [
        ("09:00:00", "13:30:00"),
        ("20:00:00", "00:00:00"),
    ]
    assert mentor_client.delete(f"/api/v1/mentors/me/availability/{window_id}").status_code == 204
    assert AvailabilityWindow.objects.count() == 1


@pytest.mark.parametrize(
    ("window", "status", "code"),
    [
        ({"weekday": 0, "start_time": "11:00", "end_time": "14:00"}, 409, "availability_overlap"),
        ({"weekday": 0, "start_time": "08:00", "end_time": "09:01"}, 409, "availability_overlap"),
        ({"weekday": 0, "start_time": "12:00", "end_time": "12:00"}, 400, "invalid"),
        ({"weekday": 0, "start_time": "13:00", "end_time": "12:00"}, 400, "invalid"),
        ({"weekday": 7, "start_time": "13:00", "end_time": "14:00"}, 400, "invalid"),
        ({"weekday": 0, "start_time": "25:00", "end_time": "26:00"}, 400, "invalid"),
        ({"weekday": 0, "start_time": "13:00:30", "end_time": "14:00"}, 400, "invalid"),
    ],
)
def test_bad_or_overlapping_windows_are_refused(mentor, mentor_client, window, status, code):
    profile = MentorProfileFactory(user=mentor)
    AvailabilityWindowFactory(mentor=profile, weekday=0, start_time=time(9), end_time=time(12))

    response = mentor_client.post("/api/v1/mentors/me/availability", window)

    assert (response.status_code, response.json()["code"]) == (status, code)
    assert AvailabilityWindow.objects.count() == 1


def test_windows_of_other_mentors_are_out_of_reach(mentor_client):
    other = AvailabilityWindowFactory()

    assert mentor_client.get(f"/api/v1/mentors/me/availability/{other.pk}").status_code == 404
    assert mentor_client.delete(f"/api/v1/mentors/me/availability/{other.pk}").status_code == 404
    response = mentor_client.patch(
        f"/api/v1/mentors/me/availability/{other.pk}", {"end_time": "18:00"}
    )
    assert response.status_code == 404
    assert AvailabilityWindow.objects.get().end_time == time(17)


def test_students_have_no_availability(student_client):
    response = student_client.get("/api/v1/mentors/me/availability")
    assert response.status_code == 403


def test_mentor_manages_blocked_periods(mentor, mentor_client):
    start = (timezone.now() + timedelta(days=1)).replace(microsecond=0)
    created = mentor_client.post(
        "/api/v1/mentors/me/blocked-periods",
        {
            "start_at": start.isoformat(),
            "end_at": (start + timedelta(days=2)).isoformat(),
            "reason": "Conference",
        },
    )
    reversed_period = mentor_client.post(
        "/api/v1/mentors/me/blocked-periods",
        {"start_at": start.isoformat(), "end_at": start.isoformat()},
    )
    other = BlockedPeriodFactory()

    assert created.status_code == 201
    assert created.json()["reason"] == "Conference"
    assert (reversed_period.status_code, list(reversed_period.json()["errors"])) == (
        400,
        ["end_at"],
    )
    listed = mentor_client.get("/api/v1/mentors/me/blocked-periods").json()
    assert [p["id"] for p in listed["results"]] == [created.json()["id"]]
    assert mentor_client.delete(f"/api/v1/mentors/me/blocked-periods/{other.pk}").status_code == 404
    period_url = f"/api/v1/mentors/me/blocked-periods/{created.json()['id']}"
    assert mentor_client.delete(period_url).status_code == 204
    assert list(BlockedPeriod.objects.values_list("pk", flat=True)) == [other.pk]


# --- the list ---------------------------------------------------------------------------------


def listed(client, query="") -> list[int]:
    response = client.get(f"/api/v1/mentors{query}")
    assert response.status_code == 200, response.json()
    return [row["id"] for row in response.json()["results"]]


def test_list_searches_filters_and_orders(student_client):
    graphs = MentorProfileFactory(
        headline="Graphs", hourly_rate_credits=20, rating=Decimal("4.5"), review_count=2
    )
    MentorExpertise.objects.create(mentor=graphs, name="python")
    cheap = MentorProfileFactory(
        headline="Databases", hourly_rate_credits=5, rating=Decimal("3.9"), review_count=1
    )
    new = MentorProfileFactory(headline="Compilers", hourly_rate_credits=9, is_available=False)
    MentorProfileFactory(user=MentorFactory(is_active=False))  # suspended: not listed

    assert listed(student_client) == [graphs.user_id, cheap.user_id, new.user_id]
    assert listed(student_client, "?ordering=rating") == [
        cheap.user_id,
        graphs.user_id,
        new.user_id,
    ]
    assert listed(student_client, "?ordering=hourly_rate_credits") == [
        cheap.user_id,
        new.user_id,
        graphs.user_id,
    ]
    assert listed(student_client, "?search=graph") == [graphs.user_id]
    assert listed(student_client, "?expertise=Python") == [graphs.user_id]
    assert listed(student_client, "?available=true") == [graphs.user_id, cheap.user_id]
    assert listed(student_client, "?available=false") == [new.user_id]


@pytest.mark.parametrize("query", ["?available=yes", "?page_size=101", "?page_size=x"])
def test_bad_list_queries_are_400(student_client, query):
    response = student_client.get(f"/api/v1/mentors{query}")

    assert (response.status_code, response.json()["code"]) == (400, "invalid")


def test_list_query_count_does_not_grow_with_page_size(student_client, django_assert_num_queries):
    for profile in MentorProfileFactory.create_batch(25):
        MentorExpertise.objects.create(mentor=profile, name="python")
    for page_size in (2, 20):
        # 1 the caller (JWT), 2 COUNT, 3 the page with users joined, 4 their expertise.
        with django_assert_num_queries(4):
            response = student_client.get(f"/api/v1/mentors?page_size={page_size}")
        assert len(response.json()["results"]) == page_size
        assert response.json()["results"][0]["expertise"] == ["python"]


def test_unknown_or_unlisted_mentors_are_404(student_client):
    suspended = MentorProfileFactory(user=MentorFactory(is_active=False))

    assert student_client.get("/api/v1/mentors/999999").status_code == 404
    assert student_client.get(f"/api/v1/mentors/{suspended.user_id}").status_code == 404
    assert student_client.get(f"/api/v1/mentors/{suspended.user_id}/reviews").status_code == 404


# --- the detail and its free slots ------------------------------------------------------------


def utc(*args) -> str:
    return datetime(*args, tzinfo=UTC).isoformat().replace("+00:00", "Z")


def test_detail_shows_the_next_free_slots_in_utc_across_a_clock_change(
    student, settings, django_assert_num_queries
):
    """Mondays 09:00-12:00 in Berlin: 08:00-11:00 UTC on 24 March 2031 (winter time),
    07:00-10:00 UTC from 31 March (summer time). Booked and blocked times are left out."""
    settings.MENTORING_FREE_SLOTS_COUNT = 8
    settings.MENTORING_FREE_SLOTS_DAYS = 15
    with freeze_time("2031-03-24 07:00:00"):
        profile = MentorProfileFactory(time_zone="Europe/Berlin")
        AvailabilityWindowFactory(mentor=profile, weekday=0, start_time=time(9), end_time=time(12))
        SessionFactory(
            mentor=profile.user,
            scheduled_at=datetime(2031, 3, 24, 9, tzinfo=UTC),
            status="confirmed",
        )
        SessionFactory(
            mentor=profile.user,
            scheduled_at=datetime(2031, 3, 31, 9, tzinfo=UTC),
            status="cancelled",
        )
        BlockedPeriodFactory(
            mentor=profile,
            start_at=datetime(2031, 3, 31, 7, tzinfo=UTC),
            end_at=datetime(2031, 3, 31, 7, 30, tzinfo=UTC),
        )
        client = client_for(student)

        # The caller, the mentor with user, expertise; windows, blocked periods, sessions.
        with django_assert_num_queries(6):
            response = client.get(f"/api/v1/mentors/{profile.user_id}")

    assert response.status_code == 200
    slots = [(slot["start"], slot["end"]) for slot in response.json()["next_free_slots"]]
    assert slots == [
        (utc(2031, 3, 24, 8), utc(2031, 3, 24, 9)),
        (utc(2031, 3, 24, 10), utc(2031, 3, 24, 11)),
        (utc(2031, 3, 31, 7, 30), utc(2031, 3, 31, 8, 30)),
        (utc(2031, 3, 31, 8), utc(2031, 3, 31, 9)),
        (utc(2031, 3, 31, 8, 30), utc(2031, 3, 31, 9, 30)),
        (utc(2031, 3, 31, 9), utc(2031, 3, 31, 10)),
        (utc(2031, 4, 7, 7), utc(2031, 4, 7, 8)),
        (utc(2031, 4, 7, 7, 30), utc(2031, 4, 7, 8, 30)),
    ]


def test_free_slots_start_after_now_on_the_local_grid(student):
    with freeze_time("2031-01-06 08:10:00"):
        profile = MentorProfileFactory(time_zone="Asia/Kathmandu")  # UTC+05:45
        AvailabilityWindowFactory(mentor=profile, weekday=0, start_time=time(13), end_time=time(16))
        response = client_for(student).get(f"/api/v1/mentors/{profile.user_id}")

    # 13:00-16:00 in Kathmandu is 07:15-10:15 UTC; after 08:10 UTC the local grid of half
    # hours gives 14:00 (08:15 UTC), 14:30 and 15:00 local.
    assert [slot["start"] for slot in response.json()["next_free_slots"][:3]] == [
        utc(2031, 1, 6, 8, 15),
        utc(2031, 1, 6, 8, 45),
        utc(2031, 1, 6, 9, 15),
    ]


def test_a_mentor_not_accepting_bookings_has_no_free_slots(student_client):
    profile = MentorProfileFactory(is_available=False)
    AvailabilityWindowFactory(mentor=profile)

    response = student_client.get(f"/api/v1/mentors/{profile.user_id}")

    assert response.json()["next_free_slots"] == []
