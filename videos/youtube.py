"""Reading YouTube playlists with the YouTube Data API v3 (google-api-python-client).

The client is built from the discovery document shipped with googleapiclient, so building
it needs no network. The HTTP object comes from `http_factory()`: tests replace it with a
googleapiclient `HttpMockSequence` fed with recorded responses.

Errors are sorted by what the caller should do about them:
- `PlaylistUnavailable`: the playlist is missing or private. Final; do not retry.
- `YouTubeTransientError`: quota exhausted, rate limited, a 5xx or a network failure.
  Retry later with backoff.
- `YouTubeError` (the base): anything else YouTube refuses (a bad API key, a bad request).
  Final; retrying the same request cannot help."""

import html
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httplib2
from django.conf import settings
from django.utils.dateparse import parse_datetime
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

logger = logging.getLogger(__name__)

# Prefixes of the playlist ids YouTube hands out: user playlists (PL), uploads (UU),
# liked (LL), favourites (FL), mixes (RD), albums (OLAK5uy_) and a few more.
PLAYLIST_ID_PATTERN = re.compile(r"^(?:PL|UU|LL|FL|OL|RD|UL|PU|OLAK5uy_)[A-Za-z0-9_-]{10,60}$")
# The length of the columns that store playlist ids (PlaylistImport and Course
# `playlist_id`): a longer id is refused at once rather than failing on insert.
PLAYLIST_ID_MAX_LENGTH = 64
VIDEO_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{11}$")
YOUTUBE_HOSTS = frozenset({"youtube.com", "www.youtube.com", "m.youtube.com", "music.youtube.com"})
SHORT_HOSTS = frozenset({"youtu.be", "www.youtu.be"})
DURATION_PATTERN = re.compile(
    r"^P(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$"
)
# What playlistItems.list shows for a video that was deleted or made private.
UNAVAILABLE_TITLES = frozenset({"Deleted video", "Private video"})
PAGE_SIZE = 50  # the API's maximum for playlistItems.list
DETAILS_BATCH_SIZE = 50  # the API's maximum number of ids per videos.list call
TRANSIENT_REASONS = frozenset(
    {
        "quotaExceeded",
        "dailyLimitExceeded",
        "rateLimitExceeded",
        "userRateLimitExceeded",
        "backendError",
    }
)
PRIVATE_REASONS = frozenset({"playlistItemsNotAccessible", "playlistForbidden", "forbidden"})

Progress = Callable[[str, int, int], None]


class YouTubeError(Exception):
    """YouTube refused the request for a reason retrying cannot fix."""


class PlaylistUnavailable(YouTubeError):
    """The playlist does not exist or is not public."""


class YouTubeTransientError(YouTubeError):
    """Quota, rate limit, server error or network failure: worth retrying later."""


@dataclass
class PlaylistInfo:
    playlist_id: str
    title: str
    description: str
    item_count: int


@dataclass
class PlaylistEntry:
    """One video of a playlist, in playlist order, with what videos.list added."""

    youtube_id: str
    title: str
    description: str
    thumbnail: str
    published_at: datetime | None
    is_available: bool
    duration_seconds: int = 0


def _is_playlist_id(value: str) -> bool:
    return len(value) <= PLAYLIST_ID_MAX_LENGTH and PLAYLIST_ID_PATTERN.match(value) is not None


def parse_playlist_id(value: str) -> str | None:
    """The playlist id in a YouTube URL (`...?list=ID`) or a bare id; None otherwise,
    including for ids longer than PLAYLIST_ID_MAX_LENGTH."""
    value = (value or "").strip()
    if _is_playlist_id(value):
        return value
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or (parts.hostname or "") not in (
        YOUTUBE_HOSTS | SHORT_HOSTS
    ):
        return None
    candidates = parse_qs(parts.query).get("list", [])
    if len(candidates) == 1 and _is_playlist_id(candidates[0]):
        return candidates[0]
    return None


def parse_video_id(value: str) -> str | None:
    """The video id in a YouTube URL (watch?v=, youtu.be/, /embed/, /shorts/, /live/) or a
    bare 11-character id; None otherwise."""
    value = (value or "").strip()
    if VIDEO_ID_PATTERN.match(value):
        return value
    parts = urlsplit(value)
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https"):
        return None
    candidate = ""
    segments = [segment for segment in parts.path.split("/") if segment]
    if host in SHORT_HOSTS and len(segments) == 1:
        candidate = segments[0]
    elif host in YOUTUBE_HOSTS:
        if parts.path == "/watch":
            candidate = (parse_qs(parts.query).get("v") or [""])[0]
        elif len(segments) == 2 and segments[0] in ("embed", "shorts", "live", "v"):
            candidate = segments[1]
    return candidate if VIDEO_ID_PATTERN.match(candidate) else None


def parse_duration(value: str | None) -> int:
    """Seconds in an ISO-8601 duration as YouTube writes it (`PT1H2M3S`, `P1DT2H`, `P0D`).
    Anything unreadable counts as 0 rather than failing the import."""
    match = DURATION_PATTERN.match(value or "")
    if not match or value in ("P", "PT"):
        return 0
    parts = {name: float(amount) for name, amount in match.groupdict(default="0").items()}
    return int(
        parts["weeks"] * 604800
        + parts["days"] * 86400
        + parts["hours"] * 3600
        + parts["minutes"] * 60
        + parts["seconds"]
    )


def http_factory() -> Any:
    """The HTTP transport of the API client. Tests replace this function."""
    return httplib2.Http(timeout=settings.YOUTUBE_HTTP_TIMEOUT)


def build_service() -> Any:
    return build(
        "youtube",
        "v3",
        developerKey=settings.YOUTUBE_API_KEY,
        http=http_factory(),
        static_discovery=True,
        cache_discovery=False,
    )


def _error_reasons(exc: HttpError) -> set[str]:
    details = exc.error_details if isinstance(exc.error_details, list) else []
    return {detail.get("reason", "") for detail in details if isinstance(detail, dict)}


def _translate(exc: HttpError) -> YouTubeError:
    status = exc.status_code
    reasons = _error_reasons(exc)
    message = exc.reason or f"HTTP {status}"
    if status >= 500 or status == 429 or reasons & TRANSIENT_REASONS:
        if reasons & {"quotaExceeded", "dailyLimitExceeded"}:
            return YouTubeTransientError(f"YouTube API quota exceeded ({message}).")
        return YouTubeTransientError(f"YouTube answered {status} ({message}).")
    if status == 404:
        return PlaylistUnavailable("The playlist does not exist or is private.")
    if status == 403 and reasons & PRIVATE_REASONS:
        return PlaylistUnavailable("The playlist is private.")
    return YouTubeError(f"YouTube refused the request: {status} {message}")


def _execute(request: Any) -> dict[str, Any]:
    try:
        return request.execute()  # type: ignore[no-any-return]
    except HttpError as exc:
        raise _translate(exc) from exc
    except (OSError, httplib2.HttpLib2Error) as exc:
        raise YouTubeTransientError(f"Could not reach YouTube: {exc}") from exc


def _thumbnail(snippet: dict[str, Any]) -> str:
    thumbnails = snippet.get("thumbnails") or {}
    for size in ("maxres", "standard", "high", "medium", "default"):
        url = (thumbnails.get(size) or {}).get("url")
        if url:
            return str(url)
    return ""


def _batches(items: list[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass
class SearchResult:
    """One video found by search.list."""

    youtube_id: str
    title: str
    description: str
    channel_title: str
    thumbnail: str


SEARCH_DURATIONS = frozenset({"any", "short", "medium", "long"})


class YouTubeClient:
    """The three calls an import needs: playlists.list, playlistItems.list (paginated)
    and videos.list (50 ids a call); and search.list for recommendations."""

    def __init__(self, service: Any = None):
        self.service = service if service is not None else build_service()

    def playlist(self, playlist_id: str) -> PlaylistInfo:
        response = _execute(
            self.service.playlists().list(
                part="snippet,contentDetails", id=playlist_id, maxResults=1
            )
        )
        items = response.get("items") or []
        if not items:
            raise PlaylistUnavailable("The playlist does not exist or is private.")
        snippet = items[0].get("snippet") or {}
        return PlaylistInfo(
            playlist_id=playlist_id,
            title=snippet.get("title") or playlist_id,
            description=snippet.get("description") or "",
            item_count=int((items[0].get("contentDetails") or {}).get("itemCount") or 0),
        )

    def playlist_entries(
        self, playlist_id: str, progress: Progress | None = None
    ) -> list[PlaylistEntry]:
        """Every video of the playlist in playlist order, each video once (the first time it
        appears). Deleted and private videos are included, marked unavailable."""
        playlist_items = self.service.playlistItems()
        request = playlist_items.list(
            part="snippet,contentDetails,status", playlistId=playlist_id, maxResults=PAGE_SIZE
        )
        entries: dict[str, PlaylistEntry] = {}
        while request is not None:
            response = _execute(request)
            total = int((response.get("pageInfo") or {}).get("totalResults") or 0)
            for item in response.get("items") or []:
                entry = self._entry(item)
                if entry is not None and entry.youtube_id not in entries:
                    entries[entry.youtube_id] = entry
            if progress is not None:
                progress("listing", len(entries), max(total, len(entries)))
            request = playlist_items.list_next(request, response)
        return list(entries.values())

    def fill_details(self, entries: list[PlaylistEntry], progress: Progress | None = None) -> None:
        """Durations and availability from videos.list, 50 ids a call. A video that
        videos.list does not return (deleted, private) becomes unavailable."""
        ids = [entry.youtube_id for entry in entries if entry.is_available]
        details: dict[str, dict[str, Any]] = {}
        for batch in _batches(ids, DETAILS_BATCH_SIZE):
            response = _execute(
                self.service.videos().list(
                    part="contentDetails,status,snippet", id=",".join(batch), maxResults=len(batch)
                )
            )
            for item in response.get("items") or []:
                details[item["id"]] = item
            if progress is not None:
                progress("details", min(len(details), len(ids)), len(ids))
        for entry in entries:
            if not entry.is_available:
                continue
            item = details.get(entry.youtube_id)
            if item is None:
                entry.is_available = False
                continue
            status = item.get("status") or {}
            if status.get("privacyStatus") == "private" or status.get("uploadStatus") in (
                "deleted",
                "failed",
                "rejected",
            ):
                entry.is_available = False
            entry.duration_seconds = parse_duration(
                (item.get("contentDetails") or {}).get("duration")
            )
            published = (item.get("snippet") or {}).get("publishedAt")
            if published:
                entry.published_at = parse_datetime(published)

    @staticmethod
    def _entry(item: dict[str, Any]) -> PlaylistEntry | None:
        snippet = item.get("snippet") or {}
        details = item.get("contentDetails") or {}
        youtube_id = details.get("videoId") or (snippet.get("resourceId") or {}).get("videoId")
        if not youtube_id:
            return None
        title = snippet.get("title") or ""
        privacy = (item.get("status") or {}).get("privacyStatus")
        published = details.get("videoPublishedAt")
        return PlaylistEntry(
            youtube_id=youtube_id,
            title=title or youtube_id,
            description=snippet.get("description") or "",
            thumbnail=_thumbnail(snippet),
            published_at=parse_datetime(published) if published else None,
            is_available=title not in UNAVAILABLE_TITLES and privacy != "private",
        )

    def search(self, query: str, *, duration: str, max_results: int) -> list[SearchResult]:
        """Embeddable videos for `query` of one duration class (search.list's
        videoDuration: "medium" is 4 to 20 minutes, "long" over 20; asking for those two
        leaves out short videos and shorts), safe search strict, in YouTube's order."""
        if duration not in SEARCH_DURATIONS:
            raise ValueError(f"unknown videoDuration {duration!r}")
        response = _execute(
            self.service.search().list(
                part="snippet",
                q=query,
                type="video",
                videoDuration=duration,
                videoEmbeddable="true",
                safeSearch="strict",
                maxResults=max_results,
            )
        )
        results: list[SearchResult] = []
        for item in response.get("items") or []:
            youtube_id = (item.get("id") or {}).get("videoId")
            if not youtube_id or not VIDEO_ID_PATTERN.match(youtube_id):
                continue
            snippet = item.get("snippet") or {}
            results.append(
                SearchResult(
                    youtube_id=youtube_id,
                    title=html.unescape(snippet.get("title") or youtube_id),
                    description=html.unescape(snippet.get("description") or ""),
                    channel_title=html.unescape(snippet.get("channelTitle") or ""),
                    thumbnail=_thumbnail(snippet),
                )
            )
        return results
