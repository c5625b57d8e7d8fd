from urllib.parse import parse_qs, urlsplit

import pytest
from googleapiclient.discovery import build
from googleapiclient.http import HttpMockSequence

from courses.models import Course
from tests.videos.conftest import SMALL_PLAYLIST, recorded
from videos import youtube
from videos.models import PlaylistImport


def query(uri: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(uri).query)


@pytest.mark.parametrize(
    "value",
    [
        SMALL_PLAYLIST,
        f"https://www.youtube.com/playlist?list={SMALL_PLAYLIST}",
        f"https://youtube.com/watch?v=aaaaaaaaaa1&list={SMALL_PLAYLIST}&index=2",
        f"http://m.youtube.com/playlist?list={SMALL_PLAYLIST}",
        f"https://music.youtube.com/playlist?list={SMALL_PLAYLIST}",
        f"https://youtu.be/aaaaaaaaaa1?list={SMALL_PLAYLIST}",
        f"  {SMALL_PLAYLIST}  ",
    ],
)
def test_parse_playlist_id_accepts_urls_and_bare_ids(value):
    assert youtube.parse_playlist_id(value) == SMALL_PLAYLIST


@pytest.mark.parametrize(
    "value",
    [
        "",
        "not a playlist",
        "PL",
        "PLshort",
        "XX" + SMALL_PLAYLIST[2:],
        "https://www.youtube.com/watch?v=aaaaaaaaaa1",
        f"https://evil.example.com/playlist?list={SMALL_PLAYLIST}",
        f"ftp://www.youtube.com/playlist?list={SMALL_PLAYLIST}",
        "https://www.youtube.com/playlist?list=PL<script>alert(1)</script>",
        f"https://www.youtube.com/playlist?list={SMALL_PLAYLIST}&list=PLother0000000000",
    ],
)
def test_parse_playlist_id_rejects_anything_else(value):
    assert youtube.parse_playlist_id(value) is None


def test_parse_playlist_id_accepts_ids_up_to_the_stored_length_only():
    longest = "OLAK5uy_" + "b" * 56
    assert youtube.PLAYLIST_ID_MAX_LENGTH == len(longest) == 64
    assert youtube.parse_playlist_id(longest) == longest
    assert youtube.parse_playlist_id(f"https://www.youtube.com/playlist?list={longest}") == longest
    assert youtube.parse_playlist_id(longest + "a") is None
    assert youtube.parse_playlist_id(f"https://youtu.be/x?list={longest}a") is None


def test_playlist_ids_fit_the_columns_that_store_them():
    for model in (Course, PlaylistImport):
        assert model._meta.get_field("playlist_id").max_length == youtube.PLAYLIST_ID_MAX_LENGTH


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("aaaaaaaaaa1", "aaaaaaaaaa1"),
        ("https://www.youtube.com/watch?v=aaaaaaaaaa1&t=30", "aaaaaaaaaa1"),
        ("https://youtu.be/eeeeeeeee-5", "eeeeeeeee-5"),
        ("https://www.youtube.com/embed/ccccccccc_3", "ccccccccc_3"),
        ("https://www.youtube.com/shorts/dddddddddd4", "dddddddddd4"),
        ("https://vimeo.com/123456", None),
        ("https://www.youtube.com/watch?v=short", None),
        ("aaaaaaaaaa", None),
        ("", None),
    ],
)
def test_parse_video_id(value, expected):
    assert youtube.parse_video_id(value) == expected


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("PT1H2M3S", 3723),
        ("PT15M", 900),
        ("PT45S", 45),
        ("PT4M13S", 253),
        ("P1DT2H", 93600),
        ("P1W", 604800),
        ("PT1.5S", 1),
        ("P0D", 0),
        ("PT0S", 0),
        ("PT", 0),
        ("", 0),
        (None, 0),
        ("1:02:03", 0),
    ],
)
def test_parse_duration(value, seconds):
    assert youtube.parse_duration(value) == seconds


def test_client_uses_the_shipped_discovery_document_and_the_api_key(settings):
    settings.YOUTUBE_API_KEY = "the-key"
    http = HttpMockSequence([recorded("playlists_list")])
    service = build("youtube", "v3", developerKey="the-key", http=http, static_discovery=True)
    info = youtube.YouTubeClient(service=service).playlist(SMALL_PLAYLIST)
    assert (info.title, info.item_count) == ("Django for beginners", 7)
    [(uri, method, _, _)] = http.request_sequence
    assert method == "GET"
    assert uri.startswith("https://youtube.googleapis.com/youtube/v3/playlists?")
    assert query(uri)["key"] == ["the-key"]
    assert query(uri)["id"] == [SMALL_PLAYLIST]


def test_build_service_takes_its_http_from_the_factory(youtube_responses, settings):
    settings.YOUTUBE_API_KEY = "factory-key"
    http = youtube_responses(recorded("playlists_list"))
    youtube.YouTubeClient().playlist(SMALL_PLAYLIST)
    assert query(http.request_sequence[0][0])["key"] == ["factory-key"]


def test_entries_follow_pages_and_mark_unavailable_videos(youtube_responses):
    http = youtube_responses(
        recorded("playlist_items_page1"), recorded("playlist_items_page2"), recorded("videos_list")
    )
    client = youtube.YouTubeClient()
    progress = []
    entries = client.playlist_entries(SMALL_PLAYLIST, progress=lambda *a: progress.append(a))
    client.fill_details(entries, progress=lambda *a: progress.append(a))
    assert [(e.youtube_id, e.is_available, e.duration_seconds) for e in entries] == [
        ("aaaaaaaaaa1", True, 253),
        ("bbbbbbbbbb2", True, 3723),
        ("ccccccccc_3", False, 0),  # "Deleted video"
        ("dddddddddd4", True, 900),
        ("eeeeeeeee-5", False, 0),  # "Private video"
        ("ffffffffff6", False, 0),  # listed, but videos.list no longer returns it
    ]
    assert entries[0].title == "Welcome to Django"
    assert entries[0].thumbnail == "https://i.ytimg.com/vi/aaaaaaaaaa1/hqdefault.jpg"
    assert entries[0].published_at.isoformat() == "2025-11-20T09:30:00+00:00"
    assert progress == [("listing", 3, 7), ("listing", 6, 7), ("details", 3, 4)]
    first, second, details = (uri for uri, *_ in http.request_sequence)
    assert "pageToken" not in query(first)
    assert query(first)["maxResults"] == ["50"]
    assert query(second)["pageToken"] == ["EAAaBlBUOkNBTQ"]
    assert query(details)["id"] == ["aaaaaaaaaa1,bbbbbbbbbb2,dddddddddd4,ffffffffff6"]


@pytest.mark.parametrize(
    ("fixture", "status", "error", "message"),
    [
        ("error_playlist_not_found", 404, youtube.PlaylistUnavailable, "does not exist"),
        ("error_playlist_private", 403, youtube.PlaylistUnavailable, "private"),
        ("error_quota_exceeded", 403, youtube.YouTubeTransientError, "quota exceeded"),
        ("error_backend", 503, youtube.YouTubeTransientError, "answered 503"),
        ("error_key_invalid", 400, youtube.YouTubeError, "API key not valid"),
    ],
)
def test_http_errors_are_sorted_by_what_to_do(youtube_responses, fixture, status, error, message):
    youtube_responses(recorded(fixture, status))
    with pytest.raises(youtube.YouTubeError) as exc:
        youtube.YouTubeClient().playlist_entries(SMALL_PLAYLIST)
    assert type(exc.value) is error
    assert message in str(exc.value)


def test_network_failure_is_transient(monkeypatch):
    class Unreachable:
        def request(self, *args, **kwargs):
            raise ConnectionRefusedError("connection refused")

    monkeypatch.setattr(youtube, "http_factory", Unreachable)
    with pytest.raises(youtube.YouTubeTransientError) as exc:
        youtube.YouTubeClient().playlist(SMALL_PLAYLIST)
    assert "Could not reach YouTube" in str(exc.value)


def test_empty_playlists_list_means_unavailable(youtube_responses):
    youtube_responses(recorded("playlists_list_empty"))
    with pytest.raises(youtube.PlaylistUnavailable):
        youtube.YouTubeClient().playlist(SMALL_PLAYLIST)
