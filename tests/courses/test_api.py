import threading
import time
from datetime import UTC, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import AuditLog
from courses import services, signals
from courses.models import Course, CourseInvitation, Enrollment
from tests.accounts.factories import MentorFactory, StudentFactory
from tests.conftest import client_for
from tests.courses.factories import CourseFactory, EnrollmentFactory, InvitationFactory
from tests.videos.factories import VideoFactory

pytestmark = pytest.mark.django_db


def ids(response):
    return [item["id"] for item in response.json()["results"]]


def course_state(course):
    course.refresh_from_db()
    return {field.name: getattr(course, field.name) for field in Course._meta.fields}


@pytest.fixture
def instructor():
    return MentorFactory()


@pytest.fixture
def clients(student, instructor, staff):
    """Clients by role for permission tables: a student, another mentor, the course's
    instructor and staff."""
    return {
        "student": client_for(student),
        "other_mentor": client_for(MentorFactory()),
        "instructor": client_for(instructor),
        "staff": client_for(staff),
    }


# --- list ---------------------------------------------------------------------------------


def test_list_shows_each_role_what_it_may_see(clients, student, instructor):
    published = CourseFactory()
    own_draft = CourseFactory(status=Course.Status.DRAFT, instructor=instructor)
    enrolled_archived = CourseFactory(status=Course.Status.ARCHIVED)
    EnrollmentFactory(user=student, course=enrolled_archived)
    other_draft = CourseFactory(status=Course.Status.DRAFT)
    expected = {
        "student": [published.pk, enrolled_archived.pk],
        "other_mentor": [published.pk],
        "instructor": [published.pk, own_draft.pk],
        "staff": [published.pk, own_draft.pk, enrolled_archived.pk, other_draft.pk],
    }
    for role, client in clients.items():
        response = client.get("/api/v1/courses")
        assert response.status_code == 200, role
        assert ids(response) == expected[role], role


def test_list_items_carry_available_video_totals_and_enrolled(student_client, student):
    course = CourseFactory()
    VideoFactory(course=course, duration_seconds=100)
    VideoFactory(course=course, duration_seconds=50)
    VideoFactory(course=course, duration_seconds=999, is_available=False)
    EnrollmentFactory(user=student, course=course)
    EnrollmentFactory(course=course)
    empty = CourseFactory()
    EnrollmentFactory(user=student, course=empty, status=Enrollment.Status.DROPPED)
    response = student_client.get("/api/v1/courses")
    assert response.status_code == 200
    items = {item["id"]: item for item in response.json()["results"]}
    assert items[course.pk]["video_count"] == 2
    assert items[course.pk]["total_duration_seconds"] == 150
    assert items[course.pk]["enrolled"] is True
    assert items[empty.pk]["video_count"] == 0
    assert items[empty.pk]["total_duration_seconds"] == 0
    assert items[empty.pk]["enrolled"] is False
    assert items[course.pk]["instructor"] == {
        "id": course.instructor.pk,
        "username": course.instructor.username,
        "first_name": course.instructor.first_name,
        "last_name": course.instructor.last_name,
    }


def test_list_filters_search_and_ordering(student_client, student, instructor):
    mine = CourseFactory(title="Statistics with Python")
    EnrollmentFactory(user=student, course=mine)
    taught = CourseFactory(instructor=instructor, title="Cooking")
    VideoFactory.create_batch(3, course=taught)
    other = CourseFactory(title="Linear algebra")
    VideoFactory(course=other)
    assert ids(student_client.get("/api/v1/courses?enrolled=true")) == [mine.pk]
    assert ids(student_client.get("/api/v1/courses?enrolled=false")) == [taught.pk, other.pk]
    assert ids(student_client.get(f"/api/v1/courses?instructor={instructor.pk}")) == [taught.pk]
    assert ids(student_client.get("/api/v1/courses?search=python")) == [mine.pk]
    assert ids(student_client.get("/api/v1/courses?ordering=-video_count")) == [
        taught.pk,
        other.pk,
        mine.pk,
    ]


def test_list_bad_filter_is_400(student_client):
    response = student_client.get("/api/v1/courses?enrolled=maybe")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_list_needs_authentication(api_client):
    response = api_client.get("/api/v1/courses")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_list_query_count_does_not_grow_with_page_size(
    student, student_client, django_assert_num_queries
):
    for course in CourseFactory.create_batch(25):
        VideoFactory.create_batch(2, course=course)
        EnrollmentFactory(user=student, course=course)
    for page_size in (2, 20):
        # 1 the caller (JWT authentication), 2 COUNT of visible courses, 3 the page with
        # instructor joined and video totals/enrolled annotated.
        with django_assert_num_queries(3):
            response = student_client.get(f"/api/v1/courses?page_size={page_size}")
        assert response.status_code == 200
        assert len(response.json()["results"]) == page_size
        assert response.json()["count"] == 25


def test_list_counts_courses_without_reading_their_videos(student_client):
    """The video totals are per-row subqueries, so the page's COUNT does not join the
    videos of every visible course."""
    for course in CourseFactory.create_batch(3):
        VideoFactory.create_batch(2, course=course)
    with CaptureQueriesContext(connection) as queries:
        response = student_client.get("/api/v1/courses?page_size=2")
    assert response.status_code == 200
    count, page = (query["sql"] for query in queries.captured_queries[-2:])
    assert count.startswith("SELECT COUNT(*)")
    assert "videos_video" not in count
    assert "videos_video" in page
    assert [item["video_count"] for item in response.json()["results"]] == [2, 2]


@pytest.mark.parametrize("zone", ["UTC", "Europe/Paris"])
def test_the_list_renders_exactly_what_the_course_serializer_documents(
    student, student_client, zone, settings
):
    from datetime import date, datetime

    from courses.api.serializers import CourseSerializer
    from courses.selectors import course_list

    settings.TIME_ZONE = zone
    moment = datetime(2026, 3, 4, 5, 6, 7, 890123, tzinfo=UTC)
    bare = CourseFactory(description="", max_students=None)
    full = CourseFactory(
        context="Limits and series.",
        context_updated_at=moment,
        max_students=30,
        start_date=date(2026, 1, 5),
        end_date=date(2026, 6, 30),
        lms_course_id="canvas-42",
        lms_synced_at=moment,
        playlist_id="PLabc",
        source=Course.Source.YOUTUBE_PLAYLIST,
        instructor=MentorFactory(first_name="Ada", last_name="L"),
    )
    VideoFactory.create_batch(2, course=full, duration_seconds=61)
    VideoFactory(course=full, is_available=False)
    EnrollmentFactory(user=student, course=full)
    with timezone.override(zone):
        expected = [
            CourseSerializer(course).data
            for course in course_list(user=student).filter(pk__in=[bare.pk, full.pk]).order_by("id")
        ]
        response = student_client.get("/api/v1/courses?ordering=id")

    assert response.status_code == 200
    assert response.json()["results"] == [dict(item) for item in expected]
    assert expected[1]["lms_synced_at"] != expected[0]["created_at"]
    assert (expected[1]["video_count"], expected[1]["enrolled"]) == (2, True)


# --- create -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "expected"),
    [("anonymous", 401), ("student", 403), ("mentor", 201), ("staff", 201)],
)
def test_create_permissions(api_client, student, mentor, staff, role, expected):
    client = {
        "anonymous": api_client,
        "student": client_for(student),
        "mentor": client_for(mentor),
        "staff": client_for(staff),
    }[role]
    response = client.post("/api/v1/courses", {"code": "CS101", "title": "Intro"})
    assert response.status_code == expected
    assert Course.objects.filter(code="CS101").exists() is (expected == 201)


def test_create_returns_the_course(mentor_client, mentor):
    response = mentor_client.post(
        "/api/v1/courses",
        {
            "code": "CS101",
            "title": "Intro",
            "description": "Basics",
            "context": "For career changers.",
            "status": "published",
            "enrollment_type": "invite_only",
            "max_students": 30,
            "start_date": "2026-01-01",
            "end_date": "2026-06-30",
        },
    )
    assert response.status_code == 201
    body = response.json()
    course = Course.objects.get(code="CS101")
    assert body["id"] == course.pk
    assert body["instructor"]["id"] == mentor.pk
    assert {k: body[k] for k in ("status", "enrollment_type", "max_students", "source")} == {
        "status": "published",
        "enrollment_type": "invite_only",
        "max_students": 30,
        "source": "manual",
    }
    assert (body["video_count"], body["total_duration_seconds"], body["enrolled"]) == (
        0,
        0,
        False,
    )
    assert body["context"] == "For career changers."


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"title": "No code"}, "code"),
        ({"code": "CS1"}, "title"),
        ({"code": "CS 1!", "title": "Bad code"}, "code"),
        ({"code": "CS1", "title": "T", "status": "secret"}, "status"),
        ({"code": "CS1", "title": "T", "max_students": 0}, "max_students"),
        (
            {"code": "CS1", "title": "T", "start_date": "2026-02-01", "end_date": "2026-01-01"},
            "end_date",
        ),
    ],
)
def test_create_bad_input_is_400(mentor_client, payload, field):
    response = mentor_client.post("/api/v1/courses", payload)
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not Course.objects.exists()


def test_create_duplicate_code_is_409(mentor_client):
    CourseFactory(code="CS101")
    response = mentor_client.post("/api/v1/courses", {"code": "cs101", "title": "Again"})
    assert response.status_code == 409
    assert response.json()["code"] == "duplicate_code"
    assert Course.objects.count() == 1


def test_staff_may_name_the_instructor(staff_client, mentor):
    response = staff_client.post(
        "/api/v1/courses", {"code": "CS9", "title": "T", "instructor_id": mentor.pk}
    )
    assert response.status_code == 201
    assert Course.objects.get(code="CS9").instructor == mentor


def test_mentor_may_not_name_another_instructor(mentor_client):
    other = MentorFactory()
    response = mentor_client.post(
        "/api/v1/courses", {"code": "CS9", "title": "T", "instructor_id": other.pk}
    )
    assert response.status_code == 403
    assert response.json()["code"] == "instructor_not_allowed"
    assert not Course.objects.exists()


def test_a_student_cannot_be_the_instructor(staff_client, student):
    response = staff_client.post(
        "/api/v1/courses", {"code": "CS9", "title": "T", "instructor_id": student.pk}
    )
    assert response.status_code == 400
    assert "instructor_id" in response.json()["errors"]
    assert not Course.objects.exists()


# --- retrieve, update, delete -------------------------------------------------------------


def test_retrieve_visible_course(student_client):
    course = CourseFactory()
    VideoFactory(course=course, duration_seconds=42)
    response = student_client.get(f"/api/v1/courses/{course.pk}")
    assert response.status_code == 200
    assert response.json()["code"] == course.code
    assert response.json()["total_duration_seconds"] == 42


@pytest.mark.parametrize("url", ["/api/v1/courses/999999", "/api/v1/courses/abc"])
def test_retrieve_unknown_course_is_404(student_client, url):
    response = student_client.get(url)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_retrieve_a_draft_of_someone_else_is_404(student_client, mentor_client):
    draft = CourseFactory(status=Course.Status.DRAFT)
    assert student_client.get(f"/api/v1/courses/{draft.pk}").status_code == 404
    assert mentor_client.get(f"/api/v1/courses/{draft.pk}").status_code == 404


@pytest.mark.parametrize(
    ("role", "expected"),
    [("student", 403), ("other_mentor", 403), ("instructor", 200), ("staff", 200)],
)
def test_patch_permissions(clients, instructor, role, expected):
    course = CourseFactory(instructor=instructor, title="Old")
    before = course_state(course)
    response = clients[role].patch(f"/api/v1/courses/{course.pk}", {"title": "New"})
    assert response.status_code == expected
    if expected == 200:
        assert response.json()["title"] == "New"
        assert course_state(course)["title"] == "New"
        assert AuditLog.objects.filter(action="course.update").count() == 1
    else:
        assert response.json()["code"] == "not_course_manager"
        assert course_state(course) == before


def test_patch_an_invisible_course_is_404(student_client):
    draft = CourseFactory(status=Course.Status.DRAFT, title="Old")
    response = student_client.patch(f"/api/v1/courses/{draft.pk}", {"title": "New"})
    assert response.status_code == 404
    draft.refresh_from_db()
    assert draft.title == "Old"


def test_patch_duplicate_code_is_409(clients, instructor):
    CourseFactory(code="TAKEN")
    course = CourseFactory(instructor=instructor, code="MINE")
    response = clients["instructor"].patch(f"/api/v1/courses/{course.pk}", {"code": "taken"})
    assert response.status_code == 409
    assert response.json()["code"] == "duplicate_code"
    course.refresh_from_db()
    assert course.code == "MINE"


def test_patch_end_before_existing_start_is_400(clients, instructor):
    course = CourseFactory(instructor=instructor, start_date=timezone.localdate())
    response = clients["instructor"].patch(
        f"/api/v1/courses/{course.pk}",
        {"end_date": str(timezone.localdate() - timedelta(days=3))},
    )
    assert response.status_code == 400
    assert "end_date" in response.json()["errors"]
    course.refresh_from_db()
    assert course.end_date is None


@pytest.mark.parametrize(
    ("role", "expected"),
    [("student", 403), ("other_mentor", 403), ("instructor", 204), ("staff", 204)],
)
def test_delete_permissions(clients, instructor, role, expected):
    course = CourseFactory(instructor=instructor)
    response = clients[role].delete(f"/api/v1/courses/{course.pk}")
    assert response.status_code == expected
    assert Course.objects.filter(pk=course.pk).exists() is (expected != 204)


def test_delete_archives_a_course_with_enrollments(clients, instructor):
    course = CourseFactory(instructor=instructor)
    EnrollmentFactory(course=course)
    response = clients["instructor"].delete(f"/api/v1/courses/{course.pk}")
    assert response.status_code == 200
    assert response.json()["status"] == "archived"
    course.refresh_from_db()
    assert course.status == Course.Status.ARCHIVED
    assert Enrollment.objects.filter(course=course).count() == 1


# --- registration -------------------------------------------------------------------------


def test_register_lifecycle(student_client, student):
    course = CourseFactory()
    url = f"/api/v1/courses/{course.pk}"
    assert student_client.get(f"{url}/registration").json() == {
        "enrolled": False,
        "enrolled_at": None,
        "status": None,
    }

    response = student_client.post(f"{url}/register")
    assert response.status_code == 201
    enrollment = Enrollment.objects.get(user=student, course=course)
    assert response.json() == {
        "id": enrollment.pk,
        "course_id": course.pk,
        "user_id": student.pk,
        "role": "student",
        "status": "active",
        "enrolled_at": response.json()["enrolled_at"],
        "dropped_at": None,
    }
    registration = student_client.get(f"{url}/registration").json()
    assert registration["enrolled"] is True
    assert registration["enrolled_at"] is not None
    assert student_client.get(url).json()["enrolled"] is True

    assert student_client.delete(f"{url}/register").status_code == 204
    assert student_client.get(f"{url}/registration").json() == {
        "enrolled": False,
        "enrolled_at": None,
        "status": "dropped",
    }

    again = student_client.post(f"{url}/register")
    assert again.status_code == 201
    assert again.json()["id"] == enrollment.pk
    assert again.json()["status"] == "active"
    assert Enrollment.objects.filter(user=student, course=course).count() == 1


def test_register_twice_is_409_already_enrolled(student_client, student):
    course = CourseFactory()
    EnrollmentFactory(user=student, course=course)
    response = student_client.post(f"/api/v1/courses/{course.pk}/register")
    assert response.status_code == 409
    assert response.json()["code"] == "already_enrolled"
    assert Enrollment.objects.filter(course=course).count() == 1


@pytest.mark.parametrize(
    ("course_kwargs", "code"),
    [
        ({"enrollment_type": Course.EnrollmentType.CLOSED}, "enrollment_closed"),
        ({"enrollment_type": Course.EnrollmentType.INVITE_ONLY}, "invitation_required"),
        ({"max_students": 1}, "course_full"),
        ({"end_date": timezone.localdate() - timedelta(days=1)}, "course_ended"),
    ],
)
def test_register_refusals_are_400_naming_the_rule(student_client, course_kwargs, code):
    course = CourseFactory(**course_kwargs)
    if course.max_students:
        EnrollmentFactory(course=course)
    before = Enrollment.objects.count()
    response = student_client.post(f"/api/v1/courses/{course.pk}/register")
    assert response.status_code == 400
    assert response.json()["code"] == code
    assert Enrollment.objects.count() == before


def test_register_in_an_archived_course_is_400(student_client, student):
    course = CourseFactory(status=Course.Status.ARCHIVED)
    EnrollmentFactory(user=student, course=course, status=Enrollment.Status.DROPPED)
    response = student_client.post(f"/api/v1/courses/{course.pk}/register")
    assert response.status_code == 400
    assert response.json()["code"] == "course_archived"
    assert Enrollment.objects.get(user=student, course=course).status == "dropped"


def test_register_invite_only_with_invitation(student_client, student):
    course = CourseFactory(enrollment_type=Course.EnrollmentType.INVITE_ONLY)
    InvitationFactory(course=course, email=student.email)
    response = student_client.post(f"/api/v1/courses/{course.pk}/register")
    assert response.status_code == 201
    assert CourseInvitation.objects.get(course=course).accepted_at is not None


@pytest.mark.parametrize("method", ["get", "post", "delete"])
def test_registration_endpoints_404_for_a_course_the_caller_cannot_see(student_client, method):
    draft = CourseFactory(status=Course.Status.DRAFT)
    path = "registration" if method == "get" else "register"
    response = getattr(student_client, method)(f"/api/v1/courses/{draft.pk}/{path}")
    assert response.status_code == 404
    assert not Enrollment.objects.exists()


def test_drop_without_enrollment_is_404_not_enrolled(student_client):
    course = CourseFactory()
    response = student_client.delete(f"/api/v1/courses/{course.pk}/register")
    assert response.status_code == 404
    assert response.json()["code"] == "not_enrolled"


# --- students -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "expected"),
    [("student", 403), ("other_mentor", 403), ("instructor", 200), ("staff", 200)],
)
def test_students_permissions(clients, student, instructor, role, expected):
    course = CourseFactory(instructor=instructor)
    EnrollmentFactory(user=student, course=course)
    response = clients[role].get(f"/api/v1/courses/{course.pk}/students")
    assert response.status_code == expected
    if expected == 200:
        [row] = response.json()["results"]
        assert row["user"]["id"] == student.pk
        assert row["user"]["email"] == student.email
        assert row["status"] == "active"


def test_students_filter_by_status(clients, instructor):
    course = CourseFactory(instructor=instructor)
    EnrollmentFactory(course=course)
    dropped = EnrollmentFactory(course=course, status=Enrollment.Status.DROPPED)
    client = clients["instructor"]
    response = client.get(f"/api/v1/courses/{course.pk}/students?status=dropped")
    assert ids(response) == [dropped.pk]
    bad = client.get(f"/api/v1/courses/{course.pk}/students?status=sleeping")
    assert bad.status_code == 400
    assert "status" in bad.json()["errors"]


def test_students_query_count_does_not_grow_with_page_size(
    clients, instructor, django_assert_num_queries
):
    course = CourseFactory(instructor=instructor)
    EnrollmentFactory.create_batch(25, course=course)
    for page_size in (2, 20):
        # 1 the caller, 2 the course (visibility and totals), 3 COUNT of enrollments,
        # 4 the page of enrollments with their users joined.
        with django_assert_num_queries(4):
            response = clients["instructor"].get(
                f"/api/v1/courses/{course.pk}/students?page_size={page_size}"
            )
        assert len(response.json()["results"]) == page_size


# --- context ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "expected"),
    [("student", 403), ("other_mentor", 403), ("instructor", 200), ("staff", 200)],
)
def test_context_put_permissions_and_signal(
    clients, instructor, role, expected, django_capture_on_commit_callbacks
):
    course = CourseFactory(instructor=instructor, context="Old")
    sent = []

    def receiver(sender, course_id, **kwargs):
        sent.append(course_id)

    signals.course_context_changed.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = clients[role].put(
                f"/api/v1/courses/{course.pk}/context", {"context": "For beginners."}
            )
    finally:
        signals.course_context_changed.disconnect(receiver)
    assert response.status_code == expected
    course.refresh_from_db()
    if expected == 200:
        assert response.json()["context"] == "For beginners."
        assert response.json()["context_updated_at"] is not None
        assert course.context == "For beginners."
        assert sent == [course.pk]
    else:
        assert course.context == "Old"
        assert sent == []


@pytest.mark.parametrize("payload", [{}, {"context": "x" * 20_001}, {"context": None}])
def test_context_bad_input_is_400(clients, instructor, payload):
    course = CourseFactory(instructor=instructor, context="Old")
    response = clients["instructor"].put(f"/api/v1/courses/{course.pk}/context", payload)
    assert response.status_code == 400
    assert "context" in response.json()["errors"]
    course.refresh_from_db()
    assert course.context == "Old"


# --- invitations --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "expected"),
    [("student", 403), ("other_mentor", 403), ("instructor", 201), ("staff", 201)],
)
def test_invitation_permissions(clients, instructor, role, expected):
    course = CourseFactory(instructor=instructor, enrollment_type="invite_only")
    response = clients[role].post(
        f"/api/v1/courses/{course.pk}/invitations", {"email": "New@Example.com"}
    )
    assert response.status_code == expected
    assert CourseInvitation.objects.filter(email="new@example.com").exists() is (expected == 201)


def test_invitation_again_is_200_and_then_the_invitee_can_register(clients, instructor):
    course = CourseFactory(instructor=instructor, enrollment_type="invite_only")
    invitee = StudentFactory(email="ann@example.com")
    url = f"/api/v1/courses/{course.pk}/invitations"
    first = clients["instructor"].post(url, {"email": "ann@example.com"})
    second = clients["instructor"].post(url, {"email": "ANN@example.com"})
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    assert first.json()["email"] == "ann@example.com"
    response = client_for(invitee).post(f"/api/v1/courses/{course.pk}/register")
    assert response.status_code == 201


def test_invitation_bad_email_is_400(clients, instructor):
    course = CourseFactory(instructor=instructor)
    response = clients["instructor"].post(
        f"/api/v1/courses/{course.pk}/invitations", {"email": "not-an-email"}
    )
    assert response.status_code == 400
    assert "email" in response.json()["errors"]
    assert not CourseInvitation.objects.exists()


def test_unknown_course_actions_are_404(staff_client):
    for method, path, payload in [
        ("post", "register", None),
        ("get", "students", None),
        ("put", "context", {"context": "x"}),
        ("post", "invitations", {"email": "a@example.com"}),
        ("patch", "", {"title": "x"}),
        ("delete", "", None),
    ]:
        url = f"/api/v1/courses/424242/{path}".rstrip("/")
        response = getattr(staff_client, method)(url, payload)
        assert response.status_code == 404, (method, path)


# --- the last seat, on PostgreSQL ---------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_clients_racing_for_the_last_seat_admit_exactly_one(monkeypatch):
    slow_check = services._enrollment_refusal

    def check_then_pause(**kwargs):
        # Widen the window between counting the seats and taking one, so that without the
        # course row lock both registrations would count the same free seat.
        refusal = slow_check(**kwargs)
        time.sleep(0.3)
        return refusal

    monkeypatch.setattr(services, "_enrollment_refusal", check_then_pause)
    course = CourseFactory(max_students=2)
    EnrollmentFactory(course=course)
    clients = [client_for(StudentFactory()), client_for(StudentFactory())]
    barrier = threading.Barrier(len(clients))
    outcomes: list[tuple[int, str]] = []

    def register(client):
        try:
            barrier.wait()
            response = client.post(f"/api/v1/courses/{course.pk}/register")
            outcomes.append((response.status_code, response.json().get("code", "")))
        finally:
            connection.close()

    threads = [threading.Thread(target=register, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == [(201, ""), (400, "course_full")]
    assert Enrollment.objects.filter(course=course, status=Enrollment.Status.ACTIVE).count() == 2
