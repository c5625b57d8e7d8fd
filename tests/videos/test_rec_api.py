"""The recommendation endpoints: who sees what, the shapes, fixed query counts, bad input."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from accounts.models import AuditLog
from courses.models import Course
from tests.accounts.factories import StudentFactory
from tests.conftest import client_for
from tests.courses.factories import (
    CourseFactory,
    EnrollmentFactory,
    QuestionFactory,
    QuizFactory,
    StudentAnswerFactory,
)
from tests.videos.factories import QuestionVideoFactory, TopicFactory, VideoFactory
from videos.models import QuestionRecommendation, QuestionVideo

pytestmark = pytest.mark.django_db

ANSWERED = datetime(2026, 10, 9, 10, 30, tzinfo=UTC)


@pytest.fixture
def course(mentor):
    return CourseFactory(instructor=mentor, context="Calculus")


@pytest.fixture
def alice(course, student):
    EnrollmentFactory(course=course, user=student)
    return student


@pytest.fixture
def bob(course, other_student):
    EnrollmentFactory(course=course, user=other_student)
    return other_student


def recommend(question, *youtube_ids, topic="chain rule"):
    QuestionRecommendation.objects.create(
        question=question, topic=TopicFactory(name=f"{topic} {question.pk}"), inputs_hash="h"
    )
    for rank, youtube_id in enumerate(youtube_ids, start=1):
        QuestionVideoFactory(question=question, rank=rank, youtube_id=youtube_id, score=0.9)


@pytest.fixture
def quiz_results(course, alice, bob):
    """Alice got q1 and q2 wrong and q3 right; Bob got q3 wrong. q1 and q2 share vidBBBBBBBB."""
    quiz = QuizFactory(course=course, title="Week 2 quiz")
    q1, q2, q3 = (QuestionFactory(quiz=quiz, position=n) for n in (1, 2, 3))
    recommend(q1, "vidAAAAAAAA", "vidBBBBBBBB")
    recommend(q2, "vidBBBBBBBB", "vidCCCCCCCC")
    recommend(q3, "vidDDDDDDDD")
    StudentAnswerFactory(student=alice, question=q1, score=0.0, answered_at=ANSWERED)
    StudentAnswerFactory(student=alice, question=q2, score=0.5, answered_at=ANSWERED)
    StudentAnswerFactory(student=alice, question=q3, is_correct=True, score=1.0)
    StudentAnswerFactory(student=bob, question=q3)
    return q1, q2, q3


def url(course, **params):
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return f"/api/v1/courses/{course.pk}/assessment-videos" + (f"?{query}" if query else "")


def youtube_ids(item):
    return [video["youtube_id"] for video in item["videos"]]


# --- assessment-videos -------------------------------------------------------------------------


def test_a_student_sees_their_wrong_questions_without_repeated_videos(
    student_client, course, quiz_results
):
    q1, q2, _ = quiz_results

    response = student_client.get(url(course))

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    first, second = body["results"]
    assert first == {
        "question_id": q1.pk,
        "quiz_id": q1.quiz_id,
        "quiz_title": "Week 2 quiz",
        "question_text": q1.text,
        "question_type": "multiple_choice",
        "points_possible": 1.0,
        "topic": f"chain rule {q1.pk}",
        "refreshed_at": None,
        "score": 0.0,
        "answered_at": "2026-10-09T10:30:00Z",
        "videos": [
            {
                "rank": 1,
                "source": "youtube",
                "video_id": None,
                "youtube_id": "vidAAAAAAAA",
                "url": "https://www.youtube.com/watch?v=vidAAAAAAAA",
                "title": first["videos"][0]["title"],
                "channel_title": "",
                "thumbnail": "",
                "score": 0.9,
                "reason": "On YouTube: covers a topic.",
                "is_pinned": False,
                "refreshed_at": first["videos"][0]["refreshed_at"],
            },
            first["videos"][1],
        ],
    }
    assert youtube_ids(first) == ["vidAAAAAAAA", "vidBBBBBBBB"]
    assert (second["question_id"], youtube_ids(second)) == (q2.pk, ["vidCCCCCCCC"])


def test_a_student_with_nothing_wrong_gets_an_empty_list(course, quiz_results):
    carol = EnrollmentFactory(course=course).user

    response = client_for(carol).get(url(course))

    assert response.status_code == 200
    assert (response.json()["count"], response.json()["results"]) == (0, [])


def test_a_student_never_sees_another_students_answers(
    other_student_client, course, quiz_results, alice
):
    mine = other_student_client.get(url(course))
    theirs = other_student_client.get(url(course, student_id=alice.pk))

    assert [item["question_id"] for item in mine.json()["results"]] == [quiz_results[2].pk]
    assert theirs.status_code == 403
    assert theirs.json()["code"] == "not_course_manager"


@pytest.mark.parametrize("who", ["mentor", "staff"])
def test_the_instructor_and_staff_look_at_a_student(request, course, quiz_results, alice, who):
    client = client_for(request.getfixturevalue(who))

    response = client.get(url(course, student_id=alice.pk))

    assert response.status_code == 200
    assert [item["question_id"] for item in response.json()["results"]] == [
        quiz_results[0].pk,
        quiz_results[1].pk,
    ]


def test_a_student_outside_the_course_is_a_404_for_the_instructor(mentor_client, course):
    stranger = StudentFactory()

    response = mentor_client.get(url(course, student_id=stranger.pk))

    assert response.status_code == 404
    assert response.json()["code"] == "student_not_found"


def test_another_instructor_may_not_look(course, quiz_results, alice):
    other = CourseFactory().instructor

    assert client_for(other).get(url(course, student_id=alice.pk)).status_code == 403


def test_a_student_must_be_enrolled(course, quiz_results):
    outsider = StudentFactory()

    response = client_for(outsider).get(url(course))

    assert response.status_code == 403
    assert response.json()["code"] == "enrollment_required"


def test_a_hidden_course_is_a_404(student_client, mentor):
    draft = CourseFactory(instructor=mentor, status=Course.Status.DRAFT)

    assert student_client.get(url(draft)).status_code == 404


@pytest.mark.parametrize("value", ["abc", "0", "-3"])
def test_a_bad_student_id_is_a_400(mentor_client, course, value):
    response = mentor_client.get(url(course, student_id=value))

    assert response.status_code == 400
    assert "student_id" in response.json()["errors"]


def wrong_questions(course, student, count):
    quiz = QuizFactory(course=course)
    for _ in range(count):
        question = QuestionFactory(quiz=quiz)
        recommend(question, f"v{question.pk:010d}", f"w{question.pk:010d}")
        StudentAnswerFactory(student=student, question=question)


@pytest.mark.parametrize("count", [2, 20])
def test_assessment_videos_take_a_fixed_number_of_queries(
    student_client, course, alice, count, django_assert_num_queries
):
    wrong_questions(course, alice, count)

    # user (JWT), course access, wrong answers with questions and quizzes, states with
    # topics, recommended videos
    with django_assert_num_queries(5):
        response = student_client.get(url(course))

    assert response.json()["count"] == count


# --- question-videos ---------------------------------------------------------------------------


def test_the_instructor_sees_every_question_with_topic_and_videos(
    mentor_client, course, quiz_results
):
    q1, q2, q3 = quiz_results
    other_quiz_question = QuestionFactory(quiz=QuizFactory(course=course))

    response = mentor_client.get(f"/api/v1/courses/{course.pk}/question-videos")

    assert response.status_code == 200
    results = response.json()["results"]
    assert [item["question_id"] for item in results] == [
        q1.pk,
        q2.pk,
        q3.pk,
        other_quiz_question.pk,
    ]
    assert youtube_ids(results[1]) == ["vidBBBBBBBB", "vidCCCCCCCC"]  # no de-duplication here
    assert (results[3]["topic"], results[3]["videos"]) == (None, [])
    filtered = mentor_client.get(
        f"/api/v1/courses/{course.pk}/question-videos?quiz_id={other_quiz_question.quiz_id}"
    )
    assert [item["question_id"] for item in filtered.json()["results"]] == [other_quiz_question.pk]


def test_students_may_not_list_question_videos(student_client, course, quiz_results):
    response = student_client.get(f"/api/v1/courses/{course.pk}/question-videos")

    assert response.status_code == 403


@pytest.mark.parametrize("count", [2, 20])
def test_question_videos_take_a_fixed_number_of_queries(
    mentor_client, course, alice, count, django_assert_num_queries
):
    wrong_questions(course, alice, count)

    # user (JWT), course access, count, page of questions with quizzes, states with topics,
    # recommended videos
    with django_assert_num_queries(6):
        response = mentor_client.get(f"/api/v1/courses/{course.pk}/question-videos")

    assert response.json()["count"] == count


# --- refresh -----------------------------------------------------------------------------------


def test_the_instructor_refreshes_the_course(
    settings, mentor_client, course, django_capture_on_commit_callbacks
):
    settings.YOUTUBE_API_KEY = ""
    question = QuestionFactory(
        quiz=QuizFactory(course=course), text="Differentiate sin(x^2) with the chain rule."
    )
    VideoFactory(course=course, youtube_id="chainrule01", title="The chain rule")

    with django_capture_on_commit_callbacks(execute=True):
        response = mentor_client.post(f"/api/v1/courses/{course.pk}/recommendations/refresh")

    assert response.status_code == 202
    assert response.json() == {"course_id": course.pk, "questions": 1, "force": False}
    assert list(QuestionVideo.objects.filter(question=question).values_list("youtube_id")) == [
        ("chainrule01",)
    ]


def test_a_course_refresh_is_for_the_instructor_and_staff(student_client, staff_client, course):
    url_ = f"/api/v1/courses/{course.pk}/recommendations/refresh"

    assert student_client.post(url_).status_code == 403
    assert staff_client.post(url_, {"force": True}).json()["force"] is True
    assert staff_client.post(url_, {"force": "maybe"}).status_code == 400


def test_staff_refresh_by_filter(
    settings, staff_client, staff, course, django_capture_on_commit_callbacks
):
    settings.YOUTUBE_API_KEY = ""
    quiz = QuizFactory(course=course)
    stale, fresh, elsewhere = (
        QuestionFactory(quiz=quiz),
        QuestionFactory(quiz=quiz),
        QuestionFactory(),
    )
    QuestionRecommendation.objects.create(
        question=stale, refreshed_at=timezone.now() - timedelta(days=9)
    )
    QuestionRecommendation.objects.create(question=fresh, refreshed_at=timezone.now())
    cutoff = (timezone.now() - timedelta(days=1)).isoformat()

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            "/api/v1/recommendations/refresh", {"course_id": course.pk, "stale_before": cutoff}
        )

    assert response.status_code == 202
    assert response.json() == {"course_id": course.pk, "questions": 1, "force": True}
    refreshed = QuestionRecommendation.objects.get(question=stale).refreshed_at
    assert refreshed > timezone.now() - timedelta(minutes=1)
    assert not QuestionRecommendation.objects.filter(question=elsewhere).exists()
    entry = AuditLog.objects.get(action="recommendations.refresh")
    assert (entry.actor, entry.after["queued"]) == (staff, 1)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"question_ids": ["x"]}, "question_ids"),
        ({"question_ids": "1,2"}, "question_ids"),
        ({"course_id": 0}, "course_id"),
        ({"stale_before": "last week"}, "stale_before"),
    ],
)
def test_refresh_by_filter_refuses_bad_input(staff_client, body, field):
    response = staff_client.post("/api/v1/recommendations/refresh", body)

    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not AuditLog.objects.filter(action="recommendations.refresh").exists()


def test_refresh_by_filter_is_for_staff_only(mentor_client):
    assert mentor_client.post("/api/v1/recommendations/refresh", {}).status_code == 403
    assert not AuditLog.objects.filter(action="recommendations.refresh").exists()


# --- a question's videos by hand ----------------------------------------------------------------


def videos_url(question):
    return f"/api/v1/questions/{question.pk}/videos"


def test_the_instructor_pins_a_course_video(mentor_client, course, quiz_results):
    q1 = quiz_results[0]
    video = VideoFactory(course=course, youtube_id="courseVid01", title="Our own lecture")

    response = mentor_client.put(videos_url(q1), {"rank": 2, "video_id": video.pk})

    assert response.status_code == 200
    assert [
        (v["rank"], v["youtube_id"], v["source"], v["is_pinned"]) for v in response.json()["videos"]
    ] == [
        (1, "vidAAAAAAAA", "youtube", False),
        (2, "courseVid01", "course", True),
    ]
    assert AuditLog.objects.filter(action="question_video.pin").count() == 1


def test_the_instructor_pins_a_youtube_link_and_it_moves_if_already_listed(
    mentor_client, quiz_results
):
    q1 = quiz_results[0]

    response = mentor_client.put(
        videos_url(q1), {"rank": 3, "youtube_id": "https://youtu.be/vidAAAAAAAA", "title": "Best"}
    )

    assert response.status_code == 200
    assert [
        (v["rank"], v["youtube_id"], v["is_pinned"], v["title"]) for v in response.json()["videos"]
    ] == [
        (2, "vidBBBBBBBB", False, response.json()["videos"][0]["title"]),
        (3, "vidAAAAAAAA", True, "Best"),
    ]


def test_pinning_and_unpinning_the_video_already_there(mentor_client, quiz_results):
    q1 = quiz_results[0]

    pinned = mentor_client.put(videos_url(q1), {"rank": 1})
    unpinned = mentor_client.put(videos_url(q1), {"rank": 1, "is_pinned": False})

    assert pinned.json()["videos"][0]["is_pinned"] is True
    assert unpinned.json()["videos"][0]["is_pinned"] is False
    assert AuditLog.objects.filter(action="question_video.unpin").count() == 1


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"rank": 0, "youtube_id": "vidZZZZZZZZ"}, 400, "rank"),
        ({"rank": 4, "youtube_id": "vidZZZZZZZZ"}, 400, "rank"),
        ({"youtube_id": "vidZZZZZZZZ"}, 400, "rank"),
        ({"rank": 1, "youtube_id": "https://vimeo.com/1"}, 400, "youtube_id"),
        ({"rank": 1, "youtube_id": "vidZZZZZZZZ", "video_id": 1}, 400, "video_id"),
        ({"rank": 1, "video_id": 999999}, 400, "video_id"),
        ({"rank": 3}, 404, None),
    ],
)
def test_bad_pins_are_refused_and_change_nothing(mentor_client, quiz_results, body, status, field):
    q1 = quiz_results[0]
    before = list(QuestionVideo.objects.order_by("pk").values_list("pk", "rank", "is_pinned"))

    response = mentor_client.put(videos_url(q1), body)

    assert response.status_code == status
    if field:
        assert field in response.json()["errors"]
    assert (
        list(QuestionVideo.objects.order_by("pk").values_list("pk", "rank", "is_pinned")) == before
    )


def test_a_video_of_another_course_cannot_be_pinned(mentor_client, quiz_results):
    elsewhere = VideoFactory()

    response = mentor_client.put(videos_url(quiz_results[0]), {"rank": 1, "video_id": elsewhere.pk})

    assert response.status_code == 400
    assert response.json()["errors"] == {"video_id": ["Not a video of this question's course."]}


def test_the_instructor_removes_a_video(mentor_client, quiz_results):
    q1 = quiz_results[0]

    response = mentor_client.delete(f"{videos_url(q1)}?rank=1")

    assert response.status_code == 200
    assert youtube_ids(response.json()) == ["vidBBBBBBBB"]
    state = QuestionRecommendation.objects.get(question=q1)
    assert (state.excluded_youtube_ids, state.inputs_hash) == (["vidAAAAAAAA"], "")


@pytest.mark.parametrize(("query", "status"), [("", 400), ("?rank=x", 400), ("?rank=3", 404)])
def test_bad_removals_change_nothing(mentor_client, quiz_results, query, status):
    count = QuestionVideo.objects.count()

    response = mentor_client.delete(f"{videos_url(quiz_results[0])}{query}")

    assert response.status_code == status
    assert QuestionVideo.objects.count() == count


def test_get_a_questions_videos(mentor_client, quiz_results):
    response = mentor_client.get(videos_url(quiz_results[1]))

    assert response.status_code == 200
    assert youtube_ids(response.json()) == ["vidBBBBBBBB", "vidCCCCCCCC"]


@pytest.mark.parametrize("method", ["get", "put", "delete"])
def test_only_the_instructor_and_staff_manage_a_questions_videos(
    student_client, staff_client, quiz_results, method
):
    q1 = quiz_results[0]
    count = QuestionVideo.objects.count()
    other_mentor = CourseFactory().instructor

    for client in (student_client, client_for(other_mentor)):
        response = getattr(client, method)(f"{videos_url(q1)}?rank=1", {"rank": 1})
        assert response.status_code == 403
    assert QuestionVideo.objects.count() == count
    assert getattr(staff_client, method)(f"{videos_url(q1)}?rank=1", {"rank": 1}).status_code == 200


def test_unknown_and_hidden_questions_are_404(student_client, mentor):
    hidden = QuestionFactory(
        quiz=QuizFactory(course=CourseFactory(instructor=mentor, status="draft"))
    )

    assert student_client.get("/api/v1/questions/999999/videos").status_code == 404
    assert student_client.get(videos_url(hidden)).status_code == 404


def test_a_course_video_that_became_unavailable_is_not_shown(student_client, course, quiz_results):
    q1 = quiz_results[0]
    gone = VideoFactory(course=course, youtube_id="goneVideo01", is_available=False)
    QuestionVideoFactory(question=q1, rank=3, source="course", video=gone, youtube_id="goneVideo01")

    response = student_client.get(url(course))

    assert youtube_ids(response.json()["results"][0]) == ["vidAAAAAAAA", "vidBBBBBBBB"]
