import pytest

from courses.models import Course, Enrollment
from tests.accounts.factories import MentorFactory, StudentFactory
from tests.conftest import client_for
from tests.courses.factories import CourseFactory, EnrollmentFactory
from tests.videos.conftest import SMALL_IMPORT, SMALL_PLAYLIST
from tests.videos.factories import PlaylistImportFactory, VideoFactory
from videos.models import PlaylistImport, Video

pytestmark = pytest.mark.django_db


@pytest.fixture
def instructor():
    return MentorFactory()


@pytest.fixture
def course(instructor):
    return CourseFactory(instructor=instructor)


@pytest.fixture
def clients(student, instructor, staff, course):
    """By role, for a published course: an enrolled student, a student who is not
    enrolled, another mentor, the instructor and staff."""
    EnrollmentFactory(user=student, course=course)
    return {
        "enrolled": client_for(student),
        "not_enrolled": client_for(StudentFactory()),
        "other_mentor": client_for(MentorFactory()),
        "instructor": client_for(instructor),
        "staff": client_for(staff),
    }


def positions(course):
    return list(
        Video.objects.filter(course=course).order_by("position").values_list("title", "position")
    )


# --- list ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("enrolled", 200),
        ("not_enrolled", 403),
        ("other_mentor", 403),
        ("instructor", 200),
        ("staff", 200),
    ],
)
def test_list_permissions(clients, course, role, expected):
    second = VideoFactory(course=course, position=1, title="Second")
    first = VideoFactory(course=course, position=0, title="First")
    response = clients[role].get(f"/api/v1/courses/{course.pk}/videos")
    assert response.status_code == expected
    if expected == 200:
        assert [v["id"] for v in response.json()["results"]] == [first.pk, second.pk]
        assert response.json()["results"][0]["url"] == (
            f"https://www.youtube.com/watch?v={first.youtube_id}"
        )
    else:
        assert response.json()["code"] == "enrollment_required"


def test_list_of_a_dropped_student_is_403(student, course):
    Enrollment.objects.create(user=student, course=course, status=Enrollment.Status.DROPPED)
    response = client_for(student).get(f"/api/v1/courses/{course.pk}/videos")
    assert response.status_code == 403


@pytest.mark.parametrize("course_id", ["draft", 999999])
def test_list_of_a_course_the_caller_cannot_see_is_404(student_client, course_id):
    if course_id == "draft":
        course_id = CourseFactory(status=Course.Status.DRAFT).pk
    response = student_client.get(f"/api/v1/courses/{course_id}/videos")
    assert response.status_code == 404


def test_list_filters_availability(clients, course):
    gone = VideoFactory(course=course, position=0, is_available=False)
    here = VideoFactory(course=course, position=1)
    client = clients["enrolled"]
    url = f"/api/v1/courses/{course.pk}/videos"
    assert [v["id"] for v in client.get(f"{url}?is_available=true").json()["results"]] == [here.pk]
    assert [v["id"] for v in client.get(f"{url}?is_available=false").json()["results"]] == [gone.pk]
    assert client.get(f"{url}?is_available=perhaps").status_code == 400


def test_list_query_count_does_not_grow_with_page_size(clients, course, django_assert_num_queries):
    VideoFactory.create_batch(25, course=course)
    for page_size in (2, 20):
        # 1 the caller, 2 the course with the caller's standing (visibility, enrollment),
        # 3 COUNT of videos, 4 the page.
        with django_assert_num_queries(4):
            response = clients["enrolled"].get(
                f"/api/v1/courses/{course.pk}/videos?page_size={page_size}"
            )
        assert len(response.json()["results"]) == page_size


@pytest.mark.parametrize("zone", ["UTC", "Asia/Kolkata"])
def test_the_list_renders_exactly_what_the_video_serializer_documents(
    clients, course, zone, settings
):
    from datetime import UTC, datetime

    from django.utils import timezone

    from videos.api.serializers import VideoSerializer

    settings.TIME_ZONE = zone
    VideoFactory(
        course=course,
        position=0,
        description="Limits, step by step.",
        thumbnail="https://i.ytimg.com/vi/x/hqdefault.jpg",
        published_at=datetime(2025, 11, 20, 9, 30, 0, 123456, tzinfo=UTC),
    )
    VideoFactory(course=course, position=1, is_available=False, duration_seconds=0)
    with timezone.override(zone):
        expected = [
            dict(VideoSerializer(video).data)
            for video in Video.objects.filter(course=course).order_by("position")
        ]
        response = clients["enrolled"].get(f"/api/v1/courses/{course.pk}/videos")

    assert response.status_code == 200
    assert response.json()["results"] == expected
    assert expected[1]["published_at"] is None


# --- detail -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("enrolled", 200),
        ("not_enrolled", 404),
        ("other_mentor", 404),
        ("instructor", 200),
        ("staff", 200),
    ],
)
def test_detail_permissions(clients, course, role, expected):
    video = VideoFactory(course=course, duration_seconds=321)
    response = clients[role].get(f"/api/v1/videos/{video.pk}")
    assert response.status_code == expected
    if expected == 200:
        assert response.json()["duration_seconds"] == 321
        assert response.json()["course_id"] == course.pk


def test_detail_unknown_video_is_404(staff_client):
    assert staff_client.get("/api/v1/videos/999999").status_code == 404


# --- create -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("enrolled", 403),
        ("not_enrolled", 403),
        ("other_mentor", 403),
        ("instructor", 201),
        ("staff", 201),
    ],
)
def test_create_permissions(clients, course, role, expected):
    response = clients[role].post(
        f"/api/v1/courses/{course.pk}/videos",
        {"youtube_id": "aaaaaaaaaa1", "title": "Intro", "duration_seconds": 90},
    )
    assert response.status_code == expected
    assert Video.objects.filter(course=course).exists() is (expected == 201)


def test_create_from_a_url_appends_or_inserts(clients, course):
    VideoFactory(course=course, position=0, title="A")
    VideoFactory(course=course, position=1, title="B")
    client = clients["instructor"]
    url = f"/api/v1/courses/{course.pk}/videos"
    appended = client.post(
        url, {"url": "https://youtu.be/ccccccccc_3", "title": "C", "duration_seconds": 5}
    )
    assert appended.status_code == 201
    assert appended.json()["youtube_id"] == "ccccccccc_3"
    assert appended.json()["position"] == 2
    inserted = client.post(
        url,
        {
            "url": "https://www.youtube.com/watch?v=dddddddddd4",
            "title": "Z",
            "duration_seconds": 5,
            "position": 1,
        },
    )
    assert inserted.status_code == 201
    assert positions(course) == [("A", 0), ("Z", 1), ("B", 2), ("C", 3)]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"title": "No id", "duration_seconds": 1}, "youtube_id"),
        ({"youtube_id": "short", "title": "T", "duration_seconds": 1}, "youtube_id"),
        ({"url": "https://vimeo.com/1", "title": "T", "duration_seconds": 1}, "youtube_id"),
        ({"youtube_id": "aaaaaaaaaa1", "duration_seconds": 1}, "title"),
        ({"youtube_id": "aaaaaaaaaa1", "title": "T"}, "duration_seconds"),
        ({"youtube_id": "aaaaaaaaaa1", "title": "T", "duration_seconds": -1}, "duration_seconds"),
        (
            {"youtube_id": "aaaaaaaaaa1", "title": "T", "duration_seconds": 1, "position": -1},
            "position",
        ),
    ],
)
def test_create_bad_input_is_400(clients, course, payload, field):
    response = clients["instructor"].post(f"/api/v1/courses/{course.pk}/videos", payload)
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not Video.objects.exists()


def test_create_duplicate_is_409(clients, course):
    VideoFactory(course=course, youtube_id="aaaaaaaaaa1")
    response = clients["instructor"].post(
        f"/api/v1/courses/{course.pk}/videos",
        {"youtube_id": "aaaaaaaaaa1", "title": "Again", "duration_seconds": 1},
    )
    assert response.status_code == 409
    assert response.json()["code"] == "duplicate_video"
    assert Video.objects.count() == 1


def test_create_in_a_course_the_caller_cannot_see_is_404(mentor_client):
    draft = CourseFactory(status=Course.Status.DRAFT)
    response = mentor_client.post(
        f"/api/v1/courses/{draft.pk}/videos",
        {"youtube_id": "aaaaaaaaaa1", "title": "T", "duration_seconds": 1},
    )
    assert response.status_code == 404
    assert not Video.objects.exists()


# --- update and delete --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("enrolled", 403),
        ("not_enrolled", 404),
        ("other_mentor", 404),
        ("instructor", 200),
        ("staff", 200),
    ],
)
def test_patch_permissions(clients, course, role, expected):
    video = VideoFactory(course=course, title="Old")
    response = clients[role].patch(f"/api/v1/videos/{video.pk}", {"title": "New"})
    assert response.status_code == expected
    video.refresh_from_db()
    assert video.title == ("New" if expected == 200 else "Old")


def test_patch_moves_a_video_and_shifts_the_others(clients, course):
    for position, title in enumerate("ABCD"):
        VideoFactory(course=course, position=position, title=title)
    a = Video.objects.get(title="A")
    client = clients["instructor"]
    response = client.patch(f"/api/v1/videos/{a.pk}", {"position": 2})
    assert response.status_code == 200
    assert positions(course) == [("B", 0), ("C", 1), ("A", 2), ("D", 3)]
    d = Video.objects.get(title="D")
    client.patch(f"/api/v1/videos/{d.pk}", {"position": 0})
    assert positions(course) == [("D", 0), ("B", 1), ("C", 2), ("A", 3)]
    client.patch(f"/api/v1/videos/{d.pk}", {"position": 99})
    assert positions(course) == [("B", 0), ("C", 1), ("A", 2), ("D", 3)]


@pytest.mark.parametrize(
    "payload",
    [{"duration_seconds": -5}, {"title": ""}, {"position": "first"}, {"is_available": "kinda"}],
)
def test_patch_bad_input_is_400(clients, course, payload):
    video = VideoFactory(course=course, title="Same", duration_seconds=10, position=0)
    response = clients["instructor"].patch(f"/api/v1/videos/{video.pk}", payload)
    assert response.status_code == 400
    video.refresh_from_db()
    assert (video.title, video.duration_seconds, video.position) == ("Same", 10, 0)


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("enrolled", 403),
        ("not_enrolled", 404),
        ("other_mentor", 404),
        ("instructor", 204),
        ("staff", 204),
    ],
)
def test_delete_permissions_and_closing_the_gap(clients, course, role, expected):
    for position, title in enumerate("ABC"):
        VideoFactory(course=course, position=position, title=title)
    b = Video.objects.get(title="B")
    response = clients[role].delete(f"/api/v1/videos/{b.pk}")
    assert response.status_code == expected
    if expected == 204:
        assert positions(course) == [("A", 0), ("C", 1)]
    else:
        assert positions(course) == [("A", 0), ("B", 1), ("C", 2)]


# --- playlist import ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "expected"),
    [("student", 403), ("mentor", 202), ("staff", 202)],
)
def test_import_request_permissions(student_client, mentor_client, staff_client, role, expected):
    client = {"student": student_client, "mentor": mentor_client, "staff": staff_client}[role]
    response = client.post("/api/v1/videos/youtube-playlist", {"playlist_url": SMALL_PLAYLIST})
    assert response.status_code == expected
    assert PlaylistImport.objects.exists() is (expected == 202)


def test_import_request_answers_202_then_runs_after_commit(
    mentor_client, mentor, youtube_responses, django_capture_on_commit_callbacks
):
    youtube_responses(*SMALL_IMPORT)
    with django_capture_on_commit_callbacks(execute=True):
        response = mentor_client.post(
            "/api/v1/videos/youtube-playlist",
            {"playlist_url": f"https://www.youtube.com/playlist?list={SMALL_PLAYLIST}"},
        )
    assert response.status_code == 202
    body = response.json()
    assert (body["status"], body["playlist_id"], body["course_id"]) == (
        "queued",
        SMALL_PLAYLIST,
        None,
    )
    status = mentor_client.get(f"/api/v1/videos/imports/{body['id']}")
    assert status.status_code == 200
    course = Course.objects.get(playlist_id=SMALL_PLAYLIST)
    assert {k: status.json()[k] for k in ("status", "imported", "total", "error", "course_id")} == {
        "status": "succeeded",
        "imported": 6,
        "total": 6,
        "error": "",
        "course_id": course.pk,
    }
    assert course.instructor == mentor


@pytest.mark.parametrize(
    "url",
    [
        "",
        "not a url",
        "https://vimeo.com/123456",
        "https://www.youtube.com/watch?v=aaaaaaaaaa1",
        f"https://evil.example.com/playlist?list={SMALL_PLAYLIST}",
    ],
)
def test_import_request_malformed_url_is_400(mentor_client, url):
    response = mentor_client.post("/api/v1/videos/youtube-playlist", {"playlist_url": url})
    assert response.status_code == 400
    assert response.json()["code"] in {"invalid_playlist_url", "invalid"}
    assert "playlist_url" in response.json()["errors"]
    assert not PlaylistImport.objects.exists()


@pytest.mark.parametrize(
    "url",
    [
        "OLAK5uy_" + "b" * 57,
        "https://www.youtube.com/playlist?list=OLAK5uy_" + "b" * 57,
        "OLAK5uy_" + "b" * 60,
    ],
    ids=["bare-65", "url-65", "bare-68"],
)
def test_import_request_for_a_playlist_id_longer_than_stored_is_400(mentor_client, url):
    response = mentor_client.post("/api/v1/videos/youtube-playlist", {"playlist_url": url})
    assert response.status_code == 400
    body = response.json()
    assert (body["code"], list(body["errors"])) == ("invalid_playlist_url", ["playlist_url"])
    assert not PlaylistImport.objects.exists()


def test_import_request_without_api_key_is_503(mentor_client, settings):
    settings.YOUTUBE_API_KEY = ""
    response = mentor_client.post(
        "/api/v1/videos/youtube-playlist", {"playlist_url": SMALL_PLAYLIST}
    )
    assert response.status_code == 503
    assert response.json()["code"] == "youtube_not_configured"
    assert not PlaylistImport.objects.exists()


def test_import_request_course_checks(mentor_client, mentor):
    own = CourseFactory(instructor=mentor)
    others = CourseFactory()
    draft = CourseFactory(status=Course.Status.DRAFT)
    other_playlist = CourseFactory(instructor=mentor, playlist_id="PLsomething0else000000")
    url = "/api/v1/videos/youtube-playlist"
    cases = [
        (others.pk, 403, "not_course_manager"),
        (draft.pk, 404, "not_found"),
        (999999, 404, "not_found"),
        (other_playlist.pk, 409, "course_has_other_playlist"),
    ]
    for course_id, status_code, code in cases:
        response = mentor_client.post(url, {"playlist_url": SMALL_PLAYLIST, "course_id": course_id})
        assert (response.status_code, response.json()["code"]) == (status_code, code), course_id
    assert not PlaylistImport.objects.exists()
    accepted = mentor_client.post(url, {"playlist_url": SMALL_PLAYLIST, "course_id": own.pk})
    assert accepted.status_code == 202
    assert accepted.json()["course_id"] == own.pk


def test_import_request_for_a_playlist_another_instructor_mirrors_is_409(mentor_client):
    CourseFactory(playlist_id=SMALL_PLAYLIST, source="youtube_playlist")
    response = mentor_client.post(
        "/api/v1/videos/youtube-playlist", {"playlist_url": SMALL_PLAYLIST}
    )
    assert response.status_code == 409
    assert response.json()["code"] == "playlist_in_other_course"
    assert not PlaylistImport.objects.exists()


@pytest.mark.parametrize(
    ("viewer", "expected"),
    [("requester", 200), ("other_mentor", 404), ("staff", 200)],
)
def test_import_status_visibility(mentor, staff, viewer, expected):
    record = PlaylistImportFactory(requested_by=mentor, status="failed", error="Private.")
    client = client_for(
        {"requester": mentor, "other_mentor": MentorFactory(), "staff": staff}[viewer]
    )
    response = client.get(f"/api/v1/videos/imports/{record.pk}")
    assert response.status_code == expected
    if expected == 200:
        assert (response.json()["status"], response.json()["error"]) == ("failed", "Private.")


def test_import_status_unknown_is_404(staff_client):
    assert staff_client.get("/api/v1/videos/imports/999999").status_code == 404
