"""Offline YouTube: every test replays recorded API responses through googleapiclient's
HttpMockSequence; a test that would reach the network fails instead."""

from pathlib import Path

import pytest
from googleapiclient.http import HttpMockSequence

from videos import youtube as youtube_module

DATA = Path(__file__).resolve().parent / "data"
SMALL_PLAYLIST = "PLdjango4beginnersXq8Zr2Lk5Tn0Wv7"
LARGE_PLAYLIST = "PLlarge0course0two0hundred0videos"


def recorded(name: str, status: int = 200) -> tuple[dict, str]:
    """One recorded response: (headers, body) from tests/videos/data/<name>.json."""
    headers = {"status": str(status), "content-type": "application/json; charset=UTF-8"}
    return headers, (DATA / f"{name}.json").read_text()


SMALL_IMPORT = [
    recorded("playlists_list"),
    recorded("playlist_items_page1"),
    recorded("playlist_items_page2"),
    recorded("videos_list"),
]
SMALL_REIMPORT = [
    recorded("playlists_list"),
    recorded("playlist_items_reimport"),
    recorded("videos_list_reimport"),
]
LARGE_IMPORT = [
    recorded("large_playlists_list"),
    *[recorded(f"large_playlist_items_page{n}") for n in range(1, 5)],
    *[recorded(f"large_videos_list_{n}") for n in range(1, 5)],
]


@pytest.fixture(autouse=True)
def _no_network(monkeypatch, settings):
    settings.YOUTUBE_API_KEY = "test-key"

    def refuse():
        raise AssertionError("a test tried to reach YouTube without recorded responses")

    monkeypatch.setattr(youtube_module, "http_factory", refuse)


@pytest.fixture
def youtube_responses(monkeypatch):
    """`youtube_responses(*responses)` makes the client replay these responses in order and
    returns the mock, whose `request_sequence` lists the requests made. Each call replaces
    the previous sequence."""

    def feed(*responses):
        http = HttpMockSequence(list(responses))
        monkeypatch.setattr(youtube_module, "http_factory", lambda: http)
        return http

    return feed
