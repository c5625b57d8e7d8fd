"""Refreshing recommendations: course videos first, YouTube for the rest (recorded search
responses), what a refresh skips, pinned and removed videos, topics and embeddings."""

import hashlib
import importlib.util
from urllib.parse import parse_qs, urlsplit

import pytest

from accounts.models import AuditLog
from courses import services as course_services
from courses.models import Course, Question
from tests.courses.factories import CourseFactory, QuestionFactory, QuizFactory
from tests.videos.conftest import recorded
from tests.videos.factories import VideoFactory
from videos import tasks
from videos.models import QuestionRecommendation, QuestionVideo, Topic, VideoEmbedding
from videos.recommendations import rankers, services
from videos.recommendations import topic as topic_module
from videos.recommendations.rankers import SemanticRanker

pytestmark = pytest.mark.django_db

CONTEXT = "Calculus for engineers: limits, derivatives, integrals. Derivatives every week."
SEARCH = [recorded("youtube_search_medium"), recorded("youtube_search_long")]


@pytest.fixture
def course(mentor):
    return CourseFactory(instructor=mentor, context=CONTEXT, title="Calculus I")


@pytest.fixture
def videos(course):
    return {
        "chain": VideoFactory(
            course=course,
            youtube_id="chainrule01",
            title="The Chain Rule",
            description="Differentiate composite functions: outer derivative times inner.",
            position=0,
        ),
        "mitosis": VideoFactory(
            course=course,
            youtube_id="mitosis0001",
            title="Mitosis and meiosis",
            description="Prophase, metaphase, anaphase.",
            position=1,
        ),
    }


@pytest.fixture
def question(course):
    return QuestionFactory(
        quiz=QuizFactory(course=course, title="Week 2"),
        text="Use the chain rule to differentiate sin(x^2).",
    )


def rows(question):
    return list(
        QuestionVideo.objects.filter(question=question)
        .order_by("rank")
        .values_list("rank", "source", "youtube_id", "is_pinned")
    )


def query(uri: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(uri).query)


def test_course_videos_come_first_then_youtube_fills(youtube_responses, question, videos):
    http = youtube_responses(*SEARCH)

    result = services.recommendations_refresh(question_ids=[question.pk])

    assert result == services.RefreshResult(refreshed=1, unchanged=0, incomplete=0)
    # The long full course matches "differentiate" too, so it ranks above the medium one.
    assert rows(question) == [
        (1, "course", "chainrule01", False),
        (2, "youtube", "YTlong00001", False),
        (3, "youtube", "YTmedium001", False),
    ]
    first, second, third = QuestionVideo.objects.filter(question=question).order_by("rank")
    assert first.video_id == videos["chain"].pk
    assert first.reason == (
        "From this course: covers chain rule; matches “chain”, “rule”, “differentiate”."
    )
    assert second.reason == (
        "On YouTube: covers chain rule; matches “differentiate”, “chain”, “rule”."
    )
    assert first.score >= second.score > third.score > 0
    assert (third.title, third.channel_title, third.video_id) == (
        "Chain rule | Derivative rules | AP Calculus AB",
        "Khan Academy",
        None,
    )
    assert third.thumbnail == "https://i.ytimg.com/vi/YTmedium001/hqdefault.jpg"
    state = QuestionRecommendation.objects.get(question=question)
    assert (state.topic.name, state.ranker) == ("chain rule", "lexical")
    assert len(state.inputs_hash) == 64
    assert first.inputs_hash == state.inputs_hash
    searches = [query(uri) for uri, _, _, _ in http.request_sequence]
    assert [params["videoDuration"] for params in searches] == [["medium"], ["long"]]
    for params in searches:
        assert params["q"] == ["chain rule derivatives calculus engineers"]
        assert (params["type"], params["part"], params["safeSearch"]) == (
            ["video"],
            ["snippet"],
            ["strict"],
        )
        assert (params["maxResults"], params["videoEmbeddable"]) == (["8"], ["true"])


def test_unchanged_questions_are_skipped(youtube_responses, question, videos):
    youtube_responses(*SEARCH)
    services.recommendations_refresh(question_ids=[question.pk])
    before = rows(question)

    result = services.recommendations_refresh(question_ids=[question.pk])

    assert result == services.RefreshResult(refreshed=0, unchanged=1, incomplete=0)
    assert rows(question) == before


@pytest.mark.parametrize(
    "change",
    [
        lambda q, c, v: Question.objects.filter(pk=q.pk).update(text=q.text + " Show work."),
        lambda q, c, v: Course.objects.filter(pk=c.pk).update(context="Differential calculus"),
        lambda q, c, v: VideoFactory(course=c, title="Implicit differentiation"),
        lambda q, c, v: (
            type(v["mitosis"]).objects.filter(pk=v["mitosis"].pk).update(is_available=False)
        ),
    ],
    ids=["question text", "course context", "video added", "video unavailable"],
)
def test_changed_inputs_are_recomputed(youtube_responses, question, course, videos, change):
    youtube_responses(*SEARCH, *SEARCH)
    services.recommendations_refresh(question_ids=[question.pk])
    change(question, course, videos)

    result = services.recommendations_refresh(question_ids=[question.pk])

    assert (result.refreshed, result.unchanged) == (1, 0)


def test_search_results_are_cached_and_topics_reused(
    youtube_responses, course, question, videos, monkeypatch
):
    twin = QuestionFactory(quiz=QuizFactory(course=course), text=question.text)
    extractions = []
    real = topic_module.extract_topic

    def counting(text, context=""):
        extractions.append(text)
        return real(text, context)

    monkeypatch.setattr(services, "extract_topic", counting)
    http = youtube_responses(*SEARCH)

    services.recommendations_refresh(question_ids=[question.pk, twin.pk])

    assert len(http.request_sequence) == 2  # one search per duration class, for both
    assert extractions == [question.text]
    assert Topic.objects.count() == 1
    assert rows(twin) == rows(question)


def test_a_refresh_never_moves_or_replaces_pinned_videos(
    youtube_responses, question, videos, mentor
):
    youtube_responses(*SEARCH)
    services.recommendations_refresh(question_ids=[question.pk])
    services.question_video_pin(
        question=question, acting_user=mentor, rank=3, youtube_id="pinnedVid01", title="Mine"
    )
    services.question_video_pin(question=question, acting_user=mentor, rank=1)

    services.recommendations_refresh(question_ids=[question.pk], force=True)

    assert rows(question) == [
        (1, "course", "chainrule01", True),
        (2, "youtube", "YTlong00001", False),
        (3, "youtube", "pinnedVid01", True),
    ]
    pinned = QuestionVideo.objects.get(question=question, rank=3)
    assert (pinned.title, pinned.reason) == ("Mine", "Chosen by the instructor.")


def test_a_removed_video_is_never_recommended_again(youtube_responses, question, videos, mentor):
    youtube_responses(*SEARCH)
    services.recommendations_refresh(question_ids=[question.pk])

    services.question_video_remove(question=question, acting_user=mentor, rank=1)

    assert [row[0] for row in rows(question)] == [2, 3]
    result = services.recommendations_refresh(question_ids=[question.pk])
    assert result.refreshed == 1
    assert rows(question) == [
        (1, "youtube", "YTlong00001", False),
        (2, "youtube", "YTmedium001", False),
        (3, "youtube", "YTmedium003", False),
    ]
    state = QuestionRecommendation.objects.get(question=question)
    assert state.excluded_youtube_ids == ["chainrule01"]
    assert AuditLog.objects.filter(action="question_video.remove").count() == 1


def test_when_youtube_fails_course_videos_stay_and_the_next_refresh_retries(
    youtube_responses, question, videos
):
    youtube_responses(recorded("error_quota_exceeded", 403))

    result = services.recommendations_refresh(question_ids=[question.pk])

    assert result == services.RefreshResult(refreshed=1, unchanged=0, incomplete=1)
    assert rows(question) == [(1, "course", "chainrule01", False)]
    assert QuestionRecommendation.objects.get(question=question).inputs_hash == ""
    youtube_responses(*SEARCH)
    assert services.recommendations_refresh(question_ids=[question.pk]).refreshed == 1
    assert len(rows(question)) == 3


def test_without_a_youtube_key_only_course_videos_are_used(settings, question, videos):
    settings.YOUTUBE_API_KEY = ""

    result = services.recommendations_refresh(question_ids=[question.pk])

    assert result.incomplete == 0
    assert rows(question) == [(1, "course", "chainrule01", False)]


def test_weak_course_matches_are_left_for_youtube(youtube_responses, course, videos):
    question = QuestionFactory(
        quiz=QuizFactory(course=course), text="State the fundamental theorem of calculus."
    )
    youtube_responses(*SEARCH)

    services.recommendations_refresh(question_ids=[question.pk])

    assert [source for _, source, _, _ in rows(question)] == ["youtube"] * 3


class FakeSemanticRanker(SemanticRanker):
    """The semantic ranker's storage path without the model: vectors from a hash of the
    text, and a record of every text embedded."""

    def __init__(self):
        super().__init__(min_score=0.0)
        self.embedded: list[str] = []

    def embed(self, texts):
        self.embedded.extend(texts)
        vectors = []
        for text in texts:
            digest = hashlib.sha256(text.encode()).digest()
            vectors.append(bytes(digest[:16]) * 4)  # 64 bytes: 16 float32 values
        return vectors

    def rank(self, query, documents):
        assert all(
            document.embedding is not None for document in documents if "course:" in document.key
        )
        return self.lexical_only(query, documents)

    def lexical_only(self, query, documents):
        return rankers.LexicalRanker(min_score=0.0).rank(query, documents)


def test_video_embeddings_are_computed_once_and_stored(settings, course, question, videos):
    settings.YOUTUBE_API_KEY = ""
    other = QuestionFactory(quiz=question.quiz, text="Differentiate cos(3x).")
    ranker = FakeSemanticRanker()

    services.recommendations_refresh(question_ids=[question.pk, other.pk], ranker=ranker)
    services.recommendations_refresh(
        question_ids=[question.pk, other.pk], ranker=ranker, force=True
    )

    video_texts = [text for text in ranker.embedded if text.startswith(("The Chain", "Mitosis"))]
    assert len(video_texts) == 2
    stored = {e.video_id: e for e in VideoEmbedding.objects.all()}
    assert set(stored) == {videos["chain"].pk, videos["mitosis"].pk}
    assert {(e.model_name, e.dimensions) for e in stored.values()} == {("all-MiniLM-L6-v2", 16)}

    type(videos["chain"]).objects.filter(pk=videos["chain"].pk).update(title="The Chain Rule (2)")
    services.recommendations_refresh(question_ids=[question.pk], ranker=ranker)

    assert [text for text in ranker.embedded if text.startswith(("The Chain", "Mitosis"))][2:] == [
        "The Chain Rule (2). Differentiate composite functions: outer derivative times inner."
    ]
    assert VideoEmbedding.objects.count() == 2


@pytest.mark.skipif(
    importlib.util.find_spec("sentence_transformers") is None,
    reason="sentence_transformers is not importable (requirements/ml.txt)",
)
def test_the_semantic_ranker_refreshes_with_stored_embeddings(settings, question, videos):
    settings.YOUTUBE_API_KEY = ""
    settings.REMEDIATION_RANKER = "semantic"

    services.recommendations_refresh(question_ids=[question.pk])

    assert rows(question)[0] == (1, "course", "chainrule01", False)
    assert QuestionRecommendation.objects.get(question=question).ranker == "semantic"
    assert set(VideoEmbedding.objects.values_list("dimensions", flat=True)) == {384}


def test_a_context_change_refreshes_the_course_after_commit(
    settings, course, question, videos, mentor, django_capture_on_commit_callbacks
):
    settings.YOUTUBE_API_KEY = ""
    with django_capture_on_commit_callbacks(execute=True):
        course_services.course_context_update(
            course=course, acting_user=mentor, context="Derivatives and the chain rule."
        )

    assert rows(question) == [(1, "course", "chainrule01", False)]


def test_new_quiz_results_refresh_the_course_after_commit(
    settings, course, videos, mentor, django_capture_on_commit_callbacks
):
    from courses.assessments import assessment_upload

    settings.YOUTUBE_API_KEY = ""
    document = {
        "quizzes": [
            {
                "id": "w1",
                "title": "Week 1",
                "questions": [
                    {
                        "id": "q1",
                        "text": "Apply the chain rule to sin(x^2).",
                        "type": "essay",
                        "points": 1.0,
                        "answers": [],
                    }
                ],
            }
        ]
    }

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assessment_upload(course=course, acting_user=mentor, document=document)

    assert len(callbacks) >= 1
    question = Question.objects.get(lms_id="q1")
    assert rows(question) == [(1, "course", "chainrule01", False)]


def test_a_course_refresh_is_split_into_batches(
    settings, course, monkeypatch, django_capture_on_commit_callbacks
):
    settings.REMEDIATION_REFRESH_BATCH = 2
    questions = QuestionFactory.create_batch(5, quiz=QuizFactory(course=course))
    sent = []
    monkeypatch.setattr(
        tasks.recommendations_refresh_task,
        "apply_async",
        lambda args, **options: sent.append(tuple(args)),
    )

    with django_capture_on_commit_callbacks(execute=True):
        count = services.recommendations_refresh_course(course_id=course.pk)
        assert sent == []

    ids = [q.pk for q in questions]
    assert count == 5
    assert sent == [(ids[:2], False), (ids[2:4], False), (ids[4:], False)]


def test_the_nightly_task_refreshes_every_course_with_questions(
    settings, course, question, videos, django_capture_on_commit_callbacks
):
    settings.YOUTUBE_API_KEY = ""
    CourseFactory()  # no questions

    with django_capture_on_commit_callbacks(execute=True):
        queued = tasks.recommendations_refresh_all_task.delay().get()

    assert queued == 1
    assert rows(question) == [(1, "course", "chainrule01", False)]
