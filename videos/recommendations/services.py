"""Writes of recommendations: refreshing a question's videos, and an instructor's pins and
removals.

A refresh of a question, when its inputs changed (or it has none yet, or `force`):
1. its topic: kept while the question text is unchanged, else taken from any question with
   the same text, else extracted (`topic.extract_topic`) and stored as a reusable `Topic`;
2. the course's available videos ranked for it; those at or above the ranker's
   `min_score` come first;
3. YouTube search (topic plus course keywords, cached for days) ranked by the same ranker
   fills the places left;
4. in one transaction, with the question's state row locked: pinned rows stay exactly
   where they are (their videos are not used again), every other row is replaced.

When YouTube cannot be reached the course videos are stored and the inputs hash is left
empty, so that the next refresh tries again."""

import hashlib
import json
import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from accounts.services import audit_record
from config.celery import send_after_commit
from config.errors import NotFound, ValidationFailed
from courses import selectors as course_selectors
from videos import youtube
from videos.models import QuestionRecommendation, QuestionVideo, Topic, Video, VideoEmbedding
from videos.recommendations import search
from videos.recommendations import text as text_module
from videos.recommendations.rankers import (
    Document,
    Query,
    Ranker,
    Scored,
    SemanticRanker,
    default_ranker,
    document_text_hash,
)
from videos.recommendations.topic import extract_topic

logger = logging.getLogger(__name__)

CONTEXT_KEYWORDS = 3
REASON_LENGTH = 300


@dataclass(frozen=True)
class RefreshResult:
    refreshed: int
    unchanged: int
    incomplete: int


@dataclass(frozen=True)
class Candidate:
    """A ranked video with what a recommendation row needs."""

    source: str
    youtube_id: str
    title: str
    score: float
    matched_terms: tuple[str, ...]
    video_id: int | None = None
    channel_title: str = ""
    thumbnail: str = ""


def _sha(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()


def text_hash(text: str) -> str:
    return _sha(text.strip())


def video_set_signature(videos: list[Video]) -> str:
    """Changes when a video is added, removed, made (un)available or retitled."""
    return _sha([[video.pk, video.youtube_id, video.title, video.description] for video in videos])


def inputs_hash(*, ranker: Ranker, question_text: str, context: str, video_signature: str) -> str:
    return _sha(
        [
            ranker.name,
            question_text.strip(),
            context.strip(),
            video_signature,
            settings.REMEDIATION_VIDEOS_PER_QUESTION,
        ]
    )


def _document(video: Video, embedding: bytes | None = None) -> Document:
    return Document(
        key=f"course:{video.pk}",
        title=video.title,
        description=video.description,
        embedding=embedding,
    )


def video_embeddings_ensure(*, videos: list[Video], ranker: SemanticRanker) -> dict[int, bytes]:
    """Stored embeddings of the videos, computing (in one batch) only those missing or
    made from another text or model. Two queries plus the batch."""
    if not videos:
        return {}
    stored = {
        embedding.video_id: embedding
        for embedding in VideoEmbedding.objects.filter(video__in=videos)
    }
    stale = [
        video
        for video in videos
        if (embedding := stored.get(video.pk)) is None
        or embedding.model_name != ranker.model_name
        or embedding.text_hash != document_text_hash(_document(video))
    ]
    vectors = ranker.embed_documents([_document(video) for video in stale])
    fresh = [
        VideoEmbedding(
            video=video,
            model_name=ranker.model_name,
            text_hash=document_text_hash(_document(video)),
            dimensions=len(vector) // 4,
            vector=vector,
        )
        for video, vector in zip(stale, vectors, strict=True)
    ]
    if fresh:
        VideoEmbedding.objects.bulk_create(
            fresh,
            update_conflicts=True,
            unique_fields=["video"],
            update_fields=["model_name", "text_hash", "dimensions", "vector", "created_at"],
        )
    embeddings = {video_id: bytes(embedding.vector) for video_id, embedding in stored.items()}
    embeddings.update({embedding.video_id: bytes(embedding.vector) for embedding in fresh})
    return embeddings


def _course_documents(videos: list[Video], ranker: Ranker) -> list[Document]:
    if isinstance(ranker, SemanticRanker):
        embeddings = video_embeddings_ensure(videos=videos, ranker=ranker)
        return [_document(video, embeddings.get(video.pk)) for video in videos]
    return [_document(video) for video in videos]


def _topic_for(
    *, question: Any, state: QuestionRecommendation | None, question_hash: str, context: str
) -> Topic:
    """The question's topic, extracted only when no question with this text has one."""
    if state is not None and state.text_hash == question_hash and state.topic_id:
        assert state.topic is not None
        return state.topic
    same_text = (
        QuestionRecommendation.objects.filter(text_hash=question_hash, topic__isnull=False)
        .select_related("topic")
        .first()
    )
    if same_text is not None and same_text.topic is not None:
        return same_text.topic
    result = extract_topic(question.text, context)
    name = result.name or " ".join(text_module.words(question.text)[:4]) or "general"
    topic, _ = Topic.objects.get_or_create(
        name=name[:200], defaults={"keywords": list(result.keywords)}
    )
    return topic


def _reason(*, source: str, topic: str, matched: tuple[str, ...]) -> str:
    where = "From this course" if source == QuestionVideo.Source.COURSE else "On YouTube"
    reason = f"{where}: covers {topic}"
    if matched:
        reason += "; matches " + ", ".join(f"“{word}”" for word in matched)
    return (reason + ".")[:REASON_LENGTH]


def _course_candidates(ranked: list[Scored], videos: dict[str, Video]) -> list[Candidate]:
    candidates = []
    for scored in ranked:
        video = videos[scored.document.key]
        candidates.append(
            Candidate(
                source=QuestionVideo.Source.COURSE,
                youtube_id=video.youtube_id,
                title=video.title,
                score=scored.score,
                matched_terms=scored.matched_terms,
                video_id=video.pk,
                thumbnail=video.thumbnail,
            )
        )
    return candidates


def _youtube_candidates(
    *, query: Query, ranker: Ranker, topic: str, context_keywords: list[str]
) -> list[Candidate]:
    """YouTube results for the topic, ranked; YouTubeError reaches the caller."""
    results = search.youtube_search(
        search.search_query(topic=topic, context_keywords=context_keywords)
    )
    by_key = {f"youtube:{result['youtube_id']}": result for result in results}
    documents = [
        Document(key=key, title=result["title"], description=result["description"])
        for key, result in by_key.items()
    ]
    return [
        Candidate(
            source=QuestionVideo.Source.YOUTUBE,
            youtube_id=by_key[scored.document.key]["youtube_id"],
            title=by_key[scored.document.key]["title"],
            score=scored.score,
            matched_terms=scored.matched_terms,
            channel_title=by_key[scored.document.key]["channel_title"],
            thumbnail=by_key[scored.document.key]["thumbnail"],
        )
        for scored in ranker.rank(query, documents)
    ]


def assign(
    *,
    pinned: list[QuestionVideo],
    excluded: set[str],
    candidates: list[Candidate],
    places: int,
) -> list[tuple[int, Candidate]]:
    """(rank, candidate) for each free rank, best candidates first, never a pinned or
    excluded video, never one video twice."""
    taken = {row.rank for row in pinned}
    used = {row.youtube_id for row in pinned} | excluded
    free = [rank for rank in range(1, places + 1) if rank not in taken]
    chosen: list[Candidate] = []
    for candidate in candidates:
        if len(chosen) == len(free):
            break
        if candidate.youtube_id in used:
            continue
        used.add(candidate.youtube_id)
        chosen.append(candidate)
    return list(zip(free, chosen, strict=False))


def _refresh_question(
    *,
    question: Any,
    state: QuestionRecommendation | None,
    new_hash: str,
    documents: list[Document],
    videos: dict[str, Video],
    ranker: Ranker,
) -> bool:
    """Recompute one question's videos; False when YouTube could not fill its places."""
    course = question.quiz.course
    topic = _topic_for(
        question=question,
        state=state,
        question_hash=text_hash(question.text),
        context=course.context,
    )
    query = Query(question=question.text, topic=topic.name, context=course.context)
    places = settings.REMEDIATION_VIDEOS_PER_QUESTION
    pinned = list(QuestionVideo.objects.filter(question_id=question.pk, is_pinned=True))
    excluded = set(state.excluded_youtube_ids) if state is not None else set()
    candidates = [
        candidate
        for candidate in _course_candidates(ranker.rank(query, documents), videos)
        if candidate.score >= ranker.min_score
    ]
    complete = True
    if len(assign(pinned=pinned, excluded=excluded, candidates=candidates, places=places)) < (
        places - len(pinned)
    ):
        if search.search_configured():
            keywords = text_module.top_terms(course.context or course.title, CONTEXT_KEYWORDS)
            try:
                candidates += _youtube_candidates(
                    query=query, ranker=ranker, topic=topic.name, context_keywords=keywords
                )
            except youtube.YouTubeError as exc:
                logger.warning("YouTube search for question %s failed: %s", question.pk, exc)
                complete = False
        else:
            logger.info("YouTube search not configured; course videos only")
    _store(
        question_id=question.pk,
        topic=topic,
        question_hash=text_hash(question.text),
        new_hash=new_hash if complete else "",
        ranker=ranker,
        candidates=candidates,
    )
    return complete


@transaction.atomic
def _store(
    *,
    question_id: int,
    topic: Topic,
    question_hash: str,
    new_hash: str,
    ranker: Ranker,
    candidates: list[Candidate],
) -> None:
    """Replace the question's unpinned rows. The state row is locked first, so a pin made
    while this refresh searched is seen (its rank and video are respected)."""
    now = timezone.now()
    state, _ = QuestionRecommendation.objects.get_or_create(question_id=question_id)
    state = QuestionRecommendation.objects.select_for_update().get(pk=state.pk)
    pinned = list(QuestionVideo.objects.filter(question_id=question_id, is_pinned=True))
    QuestionVideo.objects.filter(question_id=question_id, is_pinned=False).delete()
    chosen = assign(
        pinned=pinned,
        excluded=set(state.excluded_youtube_ids),
        candidates=candidates,
        places=settings.REMEDIATION_VIDEOS_PER_QUESTION,
    )
    QuestionVideo.objects.bulk_create(
        [
            QuestionVideo(
                question_id=question_id,
                rank=rank,
                source=candidate.source,
                video_id=candidate.video_id,
                youtube_id=candidate.youtube_id,
                title=candidate.title[:300],
                channel_title=candidate.channel_title[:200],
                thumbnail=candidate.thumbnail[:500],
                score=candidate.score,
                reason=_reason(
                    source=candidate.source, topic=topic.name, matched=candidate.matched_terms
                ),
                inputs_hash=new_hash,
                refreshed_at=now,
            )
            for rank, candidate in chosen
        ]
    )
    state.topic = topic
    state.text_hash = question_hash
    state.inputs_hash = new_hash
    state.ranker = ranker.name
    state.refreshed_at = now
    state.save(update_fields=["topic", "text_hash", "inputs_hash", "ranker", "refreshed_at"])


def recommendations_refresh(
    *, question_ids: list[int], force: bool = False, ranker: Ranker | None = None
) -> RefreshResult:
    """Refresh the given questions: those without videos, those whose inputs changed, and
    every one of them when `force`. Pinned videos are never touched."""
    ranker = ranker or default_ranker()
    questions = list(
        course_selectors.questions_matching(question_ids=question_ids).select_related(
            "quiz__course"
        )
    )
    states = {
        state.question_id: state
        for state in QuestionRecommendation.objects.filter(
            question_id__in=[question.pk for question in questions]
        ).select_related("topic")
    }
    by_course: dict[int, list[Any]] = defaultdict(list)
    for question in questions:
        by_course[question.quiz.course_id].append(question)
    refreshed = unchanged = incomplete = 0
    for course_id, course_questions in by_course.items():
        course = course_questions[0].quiz.course
        videos = list(
            Video.objects.filter(course_id=course_id, is_available=True).order_by("position", "id")
        )
        signature = video_set_signature(videos)
        documents: list[Document] | None = None
        by_key = {f"course:{video.pk}": video for video in videos}
        for question in course_questions:
            state = states.get(question.pk)
            new_hash = inputs_hash(
                ranker=ranker,
                question_text=question.text,
                context=course.context,
                video_signature=signature,
            )
            if not force and state is not None and state.inputs_hash == new_hash:
                unchanged += 1
                continue
            if documents is None:
                documents = _course_documents(videos, ranker)
            complete = _refresh_question(
                question=question,
                state=state,
                new_hash=new_hash,
                documents=documents,
                videos=by_key,
                ranker=ranker,
            )
            refreshed += 1
            incomplete += not complete
    return RefreshResult(refreshed=refreshed, unchanged=unchanged, incomplete=incomplete)


def _enqueue(question_ids: list[int], force: bool) -> None:
    from videos.tasks import recommendations_refresh_task

    size = settings.REMEDIATION_REFRESH_BATCH
    batches = [question_ids[start : start + size] for start in range(0, len(question_ids), size)]
    for batch in batches:
        send_after_commit(
            recommendations_refresh_task, batch, force, lost="the nightly refresh catches up"
        )


def recommendations_refresh_course(*, course_id: int, force: bool = False) -> int:
    """Queue refresh tasks (REMEDIATION_REFRESH_BATCH questions each) for a course; returns
    how many questions they cover."""
    question_ids = list(
        course_selectors.questions_matching(course_id=course_id).values_list("pk", flat=True)
    )
    if question_ids:
        _enqueue(question_ids, force)
    return len(question_ids)


@transaction.atomic
def recommendations_refresh_filter(
    *,
    acting_user: User,
    course_id: int | None = None,
    quiz_id: int | None = None,
    question_ids: list[int] | None = None,
    stale_before: datetime | None = None,
) -> int:
    """Staff: recompute (forced) the questions matching every filter given; with
    `stale_before`, only those never refreshed or refreshed before it. Returns how many
    were queued."""
    ids = list(
        course_selectors.questions_matching(
            course_id=course_id, quiz_id=quiz_id, question_ids=question_ids
        ).values_list("pk", flat=True)
    )
    if stale_before is not None:
        fresh = set(
            QuestionRecommendation.objects.filter(
                question_id__in=ids, refreshed_at__gte=stale_before
            ).values_list("question_id", flat=True)
        )
        ids = [pk for pk in ids if pk not in fresh]
    audit_record(
        actor=acting_user,
        action="recommendations.refresh",
        target=acting_user,
        after={
            "course_id": course_id,
            "quiz_id": quiz_id,
            "question_ids": question_ids,
            "stale_before": stale_before.isoformat() if stale_before else None,
            "queued": len(ids),
        },
    )
    if ids:
        _enqueue(ids, True)
    return len(ids)


# --- an instructor's choices --------------------------------------------------------------------


def _row_snapshot(row: QuestionVideo | None) -> dict[str, Any]:
    if row is None:
        return {}
    return {
        "rank": row.rank,
        "source": row.source,
        "youtube_id": row.youtube_id,
        "video_id": row.video_id,
        "is_pinned": row.is_pinned,
    }


@transaction.atomic
def question_video_pin(
    *,
    question: Any,
    acting_user: User,
    rank: int,
    video_id: int | None = None,
    youtube_id: str | None = None,
    title: str = "",
    is_pinned: bool = True,
) -> QuestionVideo:
    """Put a video at `rank` by hand, pinned (a refresh never replaces or moves it):
    a course video (`video_id`), a YouTube video (`youtube_id`), or, with neither, the
    video already at that rank (pinning or, with `is_pinned=False`, unpinning it). The
    same video elsewhere in the question's list moves here."""
    places = settings.REMEDIATION_VIDEOS_PER_QUESTION
    if not 1 <= rank <= places:
        raise ValidationFailed(
            "Invalid input: rank.", errors={"rank": [f"Between 1 and {places}."]}
        )
    state, _ = QuestionRecommendation.objects.get_or_create(question_id=question.pk)
    state = QuestionRecommendation.objects.select_for_update().get(pk=state.pk)
    current = QuestionVideo.objects.filter(question_id=question.pk, rank=rank).first()
    before = _row_snapshot(current)
    if video_id is None and youtube_id is None:
        if current is None:
            raise NotFound(f"No video at rank {rank}.", code="no_video_at_rank")
        current.is_pinned = is_pinned
        current.save(update_fields=["is_pinned"])
        row = current
    else:
        row = _new_row(
            question=question, rank=rank, video_id=video_id, youtube_id=youtube_id, title=title
        )
        row.is_pinned = is_pinned
        QuestionVideo.objects.filter(
            Q(rank=rank) | Q(youtube_id=row.youtube_id), question_id=question.pk
        ).delete()
        row.save()
        if row.youtube_id in state.excluded_youtube_ids:
            state.excluded_youtube_ids = [
                value for value in state.excluded_youtube_ids if value != row.youtube_id
            ]
            state.save(update_fields=["excluded_youtube_ids"])
    audit_record(
        actor=acting_user,
        action="question_video.pin" if is_pinned else "question_video.unpin",
        target=question,
        before=before,
        after=_row_snapshot(row),
    )
    return row


def _new_row(
    *, question: Any, rank: int, video_id: int | None, youtube_id: str | None, title: str
) -> QuestionVideo:
    now = timezone.now()
    if video_id is not None:
        video = Video.objects.filter(pk=video_id, course_id=question.quiz.course_id).first()
        if video is None:
            raise ValidationFailed(
                "Invalid input: video_id.",
                errors={"video_id": ["Not a video of this question's course."]},
            )
        return QuestionVideo(
            question_id=question.pk,
            rank=rank,
            source=QuestionVideo.Source.COURSE,
            video=video,
            youtube_id=video.youtube_id,
            title=video.title,
            thumbnail=video.thumbnail,
            score=1.0,
            reason="Chosen by the instructor.",
            refreshed_at=now,
        )
    assert youtube_id is not None
    return QuestionVideo(
        question_id=question.pk,
        rank=rank,
        source=QuestionVideo.Source.YOUTUBE,
        youtube_id=youtube_id,
        title=(title or f"YouTube video {youtube_id}")[:300],
        score=1.0,
        reason="Chosen by the instructor.",
        refreshed_at=now,
    )


@transaction.atomic
def question_video_remove(*, question: Any, acting_user: User, rank: int) -> None:
    """Remove the video at `rank` (pinned or not). It is never recommended for this question
    again; the next refresh fills the place with another video."""
    state, _ = QuestionRecommendation.objects.get_or_create(question_id=question.pk)
    state = QuestionRecommendation.objects.select_for_update().get(pk=state.pk)
    row = QuestionVideo.objects.filter(question_id=question.pk, rank=rank).first()
    if row is None:
        raise NotFound(f"No video at rank {rank}.", code="no_video_at_rank")
    before = _row_snapshot(row)
    row.delete()
    if row.youtube_id not in state.excluded_youtube_ids:
        state.excluded_youtube_ids = [*state.excluded_youtube_ids, row.youtube_id]
    state.inputs_hash = ""
    state.save(update_fields=["excluded_youtube_ids", "inputs_hash"])
    audit_record(
        actor=acting_user,
        action="question_video.remove",
        target=question,
        before=before,
    )
