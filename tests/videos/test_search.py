import pytest
from django.db import connection

from config.search import ranked, snippet
from courses.models import Course
from courses.selectors import COURSE_SEARCH_WEIGHTS
from tests.courses.factories import CourseFactory, EnrollmentFactory
from tests.videos.factories import VideoFactory
from videos.models import Video
from videos.selectors import VIDEO_SEARCH_WEIGHTS

pytestmark = pytest.mark.django_db


def hits(response):
    return [(hit["type"], hit["id"]) for hit in response.json()["results"]]


@pytest.fixture
def catalogue(student):
    """Courses and videos about Python, seen differently by a student."""
    titled = CourseFactory(title="Python programming", description="Variables and loops.")
    described = CourseFactory(
        title="Data analysis", description="Tables and charts, using Python and pandas."
    )
    in_context = CourseFactory(
        title="Career skills", description="Interviews.", context="Useful for Python jobs."
    )
    draft = CourseFactory(title="Python secrets", status=Course.Status.DRAFT)
    unrelated = CourseFactory(title="Cooking", description="Recipes.")
    EnrollmentFactory(user=student, course=described)
    watchable = VideoFactory(course=described, title="Plotting with Python")
    hidden = VideoFactory(course=titled, title="Python basics video")
    return {
        "titled": titled,
        "described": described,
        "in_context": in_context,
        "draft": draft,
        "unrelated": unrelated,
        "watchable": watchable,
        "hidden": hidden,
    }


def test_search_returns_typed_hits_the_caller_may_see_best_first(student_client, catalogue):
    response = student_client.get("/api/v1/search?q=python")
    assert response.status_code == 200
    results = response.json()["results"]
    found = {(hit["type"], hit["id"]) for hit in results}
    assert found == {
        ("course", catalogue["titled"].pk),
        ("course", catalogue["described"].pk),
        ("course", catalogue["in_context"].pk),
        ("video", catalogue["watchable"].pk),
    }
    scores = [hit["score"] for hit in results]
    assert scores == sorted(scores, reverse=True)
    courses = [hit["id"] for hit in results if hit["type"] == "course"]
    # A title match (weight A) outranks a description match (B), which outranks context (C).
    assert courses == [
        catalogue["titled"].pk,
        catalogue["described"].pk,
        catalogue["in_context"].pk,
    ]
    video = next(hit for hit in results if hit["type"] == "video")
    assert video["course_id"] == catalogue["described"].pk
    assert video["title"] == "Plotting with Python"
    described = next(hit for hit in results if hit["id"] == catalogue["described"].pk)
    assert "Python" in described["snippet"]
    assert set(described) == {"type", "id", "course_id", "title", "snippet", "score"}


def test_search_for_staff_includes_drafts_and_all_videos(staff_client, catalogue):
    found = set(hits(staff_client.get("/api/v1/search?q=python")))
    assert ("course", catalogue["draft"].pk) in found
    assert ("video", catalogue["hidden"].pk) in found


def test_search_matches_every_word_and_respects_limit(student_client, catalogue):
    assert hits(student_client.get("/api/v1/search?q=python+pandas")) == [
        ("course", catalogue["described"].pk)
    ]
    assert len(student_client.get("/api/v1/search?q=python&limit=2").json()["results"]) == 2
    assert student_client.get("/api/v1/search?q=zebra").json() == {"results": []}


@pytest.mark.parametrize(
    "query",
    ["", "q=", "q=%20%20", "q=" + "x" * 201, "q=python&limit=0", "q=python&limit=51"],
)
def test_search_bad_query_is_400(student_client, query):
    response = student_client.get(f"/api/v1/search?{query}")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_search_accepts_200_characters(student_client):
    assert student_client.get("/api/v1/search?q=" + "x" * 200).status_code == 200


def test_search_needs_authentication(api_client):
    assert api_client.get("/api/v1/search?q=python").status_code == 401


def test_search_makes_a_fixed_number_of_queries(
    student_client, catalogue, django_assert_num_queries
):
    VideoFactory.create_batch(10, course=catalogue["described"], title="More Python")
    # 1 the caller, 2 ranked courses, 3 ranked videos.
    with django_assert_num_queries(3):
        response = student_client.get("/api/v1/search?q=python")
    assert response.status_code == 200


def test_snippet_centres_on_the_first_match():
    text = "word " * 100 + "Python appears here " + "filler " * 100
    excerpt = snippet([text], "python")
    assert "Python appears here" in excerpt
    assert excerpt.startswith("…")
    assert excerpt.endswith("…")
    assert snippet(["", "Short text"], "absent") == "Short text"


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("queryset", "weights", "index"),
    [
        (Course.objects.all, COURSE_SEARCH_WEIGHTS, "course_search_idx"),
        (Video.objects.all, VIDEO_SEARCH_WEIGHTS, "video_search_idx"),
    ],
)
def test_full_text_search_is_served_by_the_gin_index(queryset, weights, index):
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    plan = ranked(queryset(), weights=weights, query="python loops").explain()
    assert f"Bitmap Index Scan on {index}" in plan
