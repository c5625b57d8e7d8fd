"""Reads of the videos app. Other apps use these (never `videos.models`)."""

from collections.abc import Iterable
from typing import Any

from django.db.models import Count, IntegerField, QuerySet, Subquery
from django.db.models.functions import Coalesce

from accounts.models import User
from config.search import SearchHit, ranked, snippet
from courses import selectors as course_selectors
from videos.models import PlaylistImport, Video

# The weighted fields of video search. The GIN index of migration 0002 is built on exactly
# this vector; change both together.
VIDEO_SEARCH_WEIGHTS = {"title": "A", "description": "B"}


def video_list_for_course(*, course_id: int) -> QuerySet[Video]:
    """The course's videos in playlist order, unavailable ones included (they carry
    `is_available=False`) so that watch history still has something to point at."""
    return Video.objects.filter(course_id=course_id).order_by("position", "id")


def video_get_visible(*, user: User, video_id: int) -> Video | None:
    """The video with its course, if the user may watch that course's videos (an active
    enrollment, the instructor, staff); None otherwise (callers answer 404)."""
    return (
        Video.objects.select_related("course")
        .filter(pk=video_id, course_id__in=course_selectors.course_ids_watchable_by(user=user))
        .first()
    )


def video_get_for_progress(*, video_id: int) -> Video | None:
    """One query for what recording watch progress needs: the video's course id, duration and
    availability (only those columns)."""
    return (
        Video.objects.filter(pk=video_id)
        .only("id", "course_id", "duration_seconds", "is_available")
        .first()
    )


def video_durations(*, course_id: int) -> dict[int, int]:
    """Duration in seconds of every available video of a course, by video id."""
    return dict(
        Video.objects.filter(course_id=course_id, is_available=True).values_list(
            "id", "duration_seconds"
        )
    )


def video_counts_available(*, course_ids: Iterable[int]) -> dict[int, int]:
    """How many available videos each course has, in one query; courses without any are
    absent from the answer."""
    return dict(
        Video.objects.filter(course_id__in=course_ids, is_available=True)
        .order_by()
        .values("course_id")
        .annotate(total=Count("id"))
        .values_list("course_id", "total")
    )


def video_count_available_expression(*, course_id: Any) -> Coalesce:
    """How many available videos the course has, as an expression to annotate another app's
    rows with (`course_id` is usually an `OuterRef`); 0 for a course without any."""
    counts = (
        Video.objects.filter(course_id=course_id, is_available=True)
        .order_by()
        .values("course_id")
        .annotate(total=Count("id"))
        .values("total")
    )
    return Coalesce(Subquery(counts, output_field=IntegerField()), 0)


def playlist_import_get_visible(*, user: User, import_id: int) -> PlaylistImport | None:
    """An import record, for the user who asked for it and for staff."""
    imports = PlaylistImport.objects.filter(pk=import_id)
    if not user.is_staff:
        imports = imports.filter(requested_by_id=user.pk)
    return imports.first()


def video_search(*, user: User, query: str, limit: int) -> list[SearchHit]:
    """The best `limit` videos for `query` (title, description) among the videos of the
    courses the user may watch."""
    videos = ranked(
        Video.objects.filter(
            course_id__in=course_selectors.course_ids_watchable_by(user=user)
        ).only("id", "course_id", "title", "description"),
        weights=VIDEO_SEARCH_WEIGHTS,
        query=query,
    )[:limit]
    return [
        SearchHit(
            type="video",
            id=video.pk,
            course_id=video.course_id,
            title=video.title,
            snippet=snippet([video.description, video.title], query),
            score=float(video.score),  # type: ignore[attr-defined]
        )
        for video in videos
    ]


def search(*, user: User, query: str, limit: int) -> list[SearchHit]:
    """Courses and videos the user may see, best first (ties: courses first, then id)."""
    hits = course_selectors.course_search(user=user, query=query, limit=limit)
    hits += video_search(user=user, query=query, limit=limit)
    hits.sort(key=lambda hit: (-hit.score, hit.type != "course", hit.id))
    return hits[:limit]


def personal_data_export(*, user_id: int) -> dict[str, Any]:
    """The videos section of a user's data export: the playlist imports they asked for."""
    return {
        "playlist_imports": list(
            PlaylistImport.objects.filter(requested_by_id=user_id)
            .order_by("id")
            .values(
                "playlist_id",
                "course_id",
                "status",
                "imported",
                "total",
                "error",
                "created_at",
                "finished_at",
            )
        )
    }
