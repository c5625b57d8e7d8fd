from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import Credential
from accounts.services import credential_store
from courses.models import Course, LMSSync, StudentAnswer
from tests.accounts.factories import StudentFactory
from tests.conftest import client_for
from tests.courses import canvas
from tests.courses.factories import CourseFactory, EnrollmentFactory

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/lms/token"
TOKEN = {"access_token": "canvas-token-abcd1234", "course_ids": ["4821", 77], "link": canvas.BASE}


def stored(user):
    return Credential.objects.filter(user=user, provider="canvas").first()


# --- token -------------------------------------------------------------------------------------


def test_put_stores_the_token_encrypted_and_shows_it_masked(mentor_client, mentor):
    response = mentor_client.put(TOKEN_URL, {**TOKEN, "link": "https://Canvas.example.edu/"})

    assert response.status_code == 200
    body = response.json()
    assert body == {
        "provider": "canvas",
        "token": "****1234",
        "course_ids": ["4821", "77"],
        "link": "https://canvas.example.edu",
        "updated_at": body["updated_at"],
    }
    credential = stored(mentor)
    assert credential.access_token == "canvas-token-abcd1234"
    assert credential.extra == {"link": "https://canvas.example.edu", "course_ids": ["4821", "77"]}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT access_token FROM accounts_credential WHERE id = %s", [credential.pk]
        )
        assert "canvas-token" not in cursor.fetchone()[0]


def test_get_never_shows_the_token(mentor_client, mentor):
    mentor_client.put(TOKEN_URL, TOKEN)

    response = mentor_client.get(TOKEN_URL)

    assert response.status_code == 200
    assert response.json()["token"] == "****1234"
    assert "canvas-token" not in response.content.decode()


def test_put_replaces_the_token(mentor_client, mentor):
    mentor_client.put(TOKEN_URL, TOKEN)

    response = mentor_client.put(
        TOKEN_URL, {"access_token": "another-token-9999", "course_ids": ["5"], "link": canvas.BASE}
    )

    assert response.status_code == 200
    assert Credential.objects.filter(user=mentor).count() == 1
    assert (stored(mentor).access_token, stored(mentor).extra["course_ids"]) == (
        "another-token-9999",
        ["5"],
    )


def test_delete_removes_the_token(mentor_client, mentor):
    mentor_client.put(TOKEN_URL, TOKEN)

    assert mentor_client.delete(TOKEN_URL).status_code == 204
    assert stored(mentor) is None
    assert mentor_client.delete(TOKEN_URL).status_code == 404
    assert mentor_client.get(TOKEN_URL).json()["code"] == "lms_token_missing"


def test_missing_fields_are_named(mentor_client, mentor):
    response = mentor_client.put(TOKEN_URL, {})

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"access_token", "course_ids", "link"}
    assert stored(mentor) is None


@pytest.mark.parametrize(
    ("link", "message"),
    [
        ("http://canvas.example.edu", "Only https"),
        ("https://127.0.0.1", "private, loopback"),
        ("https://169.254.169.254/latest/meta-data", "private, loopback"),
        ("https://intranet.example.edu", "private, loopback"),
        ("https://[::1]:8443", "private, loopback"),
        ("https://nowhere.example.edu", "could not be resolved"),
    ],
)
def test_unsafe_links_are_refused_and_nothing_is_stored(mentor_client, mentor, link, message):
    credential_store(user=mentor, provider="canvas", access_token="old-token-000000", extra={})

    response = mentor_client.put(TOKEN_URL, {**TOKEN, "link": link})

    assert response.status_code == 400
    assert response.json()["code"] == "unsafe_link"
    assert message in response.json()["errors"]["link"][0]
    assert stored(mentor).access_token == "old-token-000000"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**TOKEN, "course_ids": []}, "course_ids"),
        ({**TOKEN, "course_ids": ["has space"]}, "course_ids"),
        ({**TOKEN, "course_ids": "4821"}, "course_ids"),
        ({**TOKEN, "access_token": ""}, "access_token"),
        ({**TOKEN, "access_token": "x" * 5000}, "access_token"),
    ],
)
def test_bad_input_is_refused(mentor_client, mentor, body, field):
    response = mentor_client.put(TOKEN_URL, body)

    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert stored(mentor) is None


def test_students_may_not_store_lms_tokens(student_client, student):
    response = student_client.put(TOKEN_URL, TOKEN)

    assert response.status_code == 403
    assert stored(student) is None


def test_the_token_endpoint_needs_authentication(api_client):
    assert api_client.get(TOKEN_URL).status_code == 401


# --- course link and sync ----------------------------------------------------------------------


def test_the_instructor_links_a_course_to_an_lms_course(mentor_client, mentor):
    course = CourseFactory(instructor=mentor)

    response = mentor_client.patch(f"/api/v1/courses/{course.pk}", {"lms_course_id": "4821"})

    assert response.status_code == 200
    assert (response.json()["lms_course_id"], response.json()["lms_synced_at"]) == ("4821", None)
    course.refresh_from_db()
    assert course.lms_course_id == "4821"


def test_a_malformed_lms_course_id_is_refused(mentor_client, mentor):
    course = CourseFactory(instructor=mentor)

    response = mentor_client.patch(f"/api/v1/courses/{course.pk}", {"lms_course_id": "a b"})

    assert response.status_code == 400
    assert "lms_course_id" in response.json()["errors"]
    course.refresh_from_db()
    assert course.lms_course_id == ""


@pytest.fixture
def linked(mentor):
    course = CourseFactory(instructor=mentor, lms_course_id=canvas.LMS_COURSE)
    credential_store(
        user=mentor,
        provider="canvas",
        access_token="canvas-token-0001",
        extra={"link": canvas.BASE, "course_ids": [canvas.LMS_COURSE]},
    )
    return course


def test_post_lms_sync_queues_and_runs_the_sync(
    canvas_api, linked, mentor_client, django_capture_on_commit_callbacks
):
    canvas.add_course(canvas_api)
    alice = EnrollmentFactory(course=linked, user=StudentFactory(lms_user_id="5001")).user

    with django_capture_on_commit_callbacks(execute=True):
        response = mentor_client.post(f"/api/v1/courses/{linked.pk}/lms-sync")

    assert response.status_code == 202
    body = response.json()
    assert (body["course_id"], body["status"]) == (linked.pk, "queued")
    record = LMSSync.objects.get()
    assert record.status == LMSSync.Status.SUCCEEDED
    assert StudentAnswer.objects.filter(student=alice).count() == 11
    latest = mentor_client.get(f"/api/v1/courses/{linked.pk}/lms-sync")
    assert latest.status_code == 200
    assert (latest.json()["status"], latest.json()["questions"]) == ("succeeded", 12)


def test_staff_may_sync_any_course(canvas_api, linked, staff_client):
    response = staff_client.post(f"/api/v1/courses/{linked.pk}/lms-sync")

    assert response.status_code == 202
    assert LMSSync.objects.filter(course=linked).count() == 1


def test_lms_sync_of_a_course_that_is_not_ready_is_a_409(mentor_client, mentor):
    course = CourseFactory(instructor=mentor, lms_course_id="")

    response = mentor_client.post(f"/api/v1/courses/{course.pk}/lms-sync")

    assert response.status_code == 409
    assert response.json()["code"] == "lms_not_linked"
    assert LMSSync.objects.count() == 0


def test_get_lms_sync_of_a_course_never_synced_is_a_404(linked, mentor_client):
    response = mentor_client.get(f"/api/v1/courses/{linked.pk}/lms-sync")

    assert response.status_code == 404
    assert response.json()["code"] == "lms_never_synced"


@pytest.mark.parametrize("method", ["get", "post"])
def test_students_and_other_instructors_may_not_sync(linked, student, method):
    EnrollmentFactory(course=linked, user=student)
    other_mentor = CourseFactory().instructor

    for user in (student, other_mentor):
        response = getattr(client_for(user), method)(f"/api/v1/courses/{linked.pk}/lms-sync")
        assert response.status_code == 403
    assert LMSSync.objects.count() == 0


def test_lms_sync_of_a_hidden_course_is_a_404(student_client, mentor):
    course = CourseFactory(instructor=mentor, status=Course.Status.DRAFT)

    assert student_client.post(f"/api/v1/courses/{course.pk}/lms-sync").status_code == 404


def test_a_sync_lost_by_a_broken_broker_is_sent_again_by_the_next_request(
    canvas_api, linked, mentor_client, monkeypatch, settings, django_capture_on_commit_callbacks
):
    from kombu.exceptions import OperationalError

    from courses import tasks

    def broker_down(*args, **kwargs):
        raise OperationalError("connection refused")

    canvas.add_course(canvas_api)
    with monkeypatch.context() as patched:
        patched.setattr(tasks.lms_sync_run_task, "apply_async", broker_down)
        with django_capture_on_commit_callbacks(execute=True):
            first = mentor_client.post(f"/api/v1/courses/{linked.pk}/lms-sync")
    assert first.status_code == 202
    record = LMSSync.objects.get()
    assert record.status == LMSSync.Status.QUEUED

    # Soon after, it may still be on its way: a second request is refused.
    again = mentor_client.post(f"/api/v1/courses/{linked.pk}/lms-sync")
    assert (again.status_code, again.json()["code"]) == (409, "lms_sync_in_progress")

    lost_for = settings.LMS_SYNC_RETRY_MAX + settings.CELERY_TASK_TIME_LIMIT + 1
    LMSSync.objects.filter(pk=record.pk).update(
        updated_at=timezone.now() - timedelta(seconds=lost_for)
    )
    with django_capture_on_commit_callbacks(execute=True):
        revived = mentor_client.post(f"/api/v1/courses/{linked.pk}/lms-sync")
    assert (revived.status_code, revived.json()["id"]) == (202, record.pk)
    record.refresh_from_db()
    assert (record.status, record.attempts, LMSSync.objects.count()) == (
        LMSSync.Status.SUCCEEDED,
        1,
        1,
    )
