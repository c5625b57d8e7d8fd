"""Writes the YouTube Data API v3 responses the video tests replay.

The shapes (fields, nesting, error bodies) are those the API returns; ids, titles and
durations are made up. Run from the repository root to regenerate:
    python tests/videos/data/build_fixtures.py"""

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
CHANNEL = "UCl3ctern0channel0000000"
SMALL = "PLdjango4beginnersXq8Zr2Lk5Tn0Wv7"
LARGE = "PLlarge0course0two0hundred0videos"


def thumbnails(video_id: str, *, sizes: int = 3) -> dict:
    return {
        size: {"url": f"https://i.ytimg.com/vi/{video_id}/{name}.jpg", "width": w, "height": h}
        for size, name, w, h in [
            ("default", "default", 120, 90),
            ("medium", "mqdefault", 320, 180),
            ("high", "hqdefault", 480, 360),
        ][:sizes]
    }


def item(playlist_id: str, position: int, video_id: str, title: str, privacy: str = "public"):
    unavailable = title in ("Deleted video", "Private video")
    snippet = {
        "publishedAt": "2026-01-05T10:00:00Z",
        "channelId": CHANNEL,
        "title": title,
        "description": (
            "This video is unavailable."
            if title == "Deleted video"
            else "This video is private."
            if title == "Private video"
            else f"{title}: a lesson of the course. Covers the ideas step by step."
        ),
        "thumbnails": {} if unavailable else thumbnails(video_id),
        "channelTitle": "Lectern",
        "playlistId": playlist_id,
        "position": position,
        "resourceId": {"kind": "youtube#video", "videoId": video_id},
    }
    if not unavailable:
        snippet["videoOwnerChannelTitle"] = "Lectern"
        snippet["videoOwnerChannelId"] = CHANNEL
    details = {"videoId": video_id}
    if not unavailable:
        details["videoPublishedAt"] = "2025-11-20T09:30:00Z"
    return {
        "kind": "youtube#playlistItem",
        "etag": f"etag-{playlist_id}-{position}",
        "id": f"UEx{video_id}{position:04d}",
        "snippet": snippet,
        "contentDetails": details,
        "status": {"privacyStatus": privacy},
    }


def items_page(items: list, total: int, next_token: str | None, per_page: int = 50) -> dict:
    page = {
        "kind": "youtube#playlistItemListResponse",
        "etag": f"etag-page-{next_token}",
        "items": items,
        "pageInfo": {"totalResults": total, "resultsPerPage": per_page},
    }
    if next_token:
        page["nextPageToken"] = next_token
    return page


def video(video_id: str, title: str, duration: str) -> dict:
    return {
        "kind": "youtube#video",
        "etag": f"etag-{video_id}",
        "id": video_id,
        "snippet": {
            "publishedAt": "2025-11-20T09:30:00Z",
            "channelId": CHANNEL,
            "title": title,
            "description": f"{title}: a lesson of the course.",
            "thumbnails": thumbnails(video_id),
            "channelTitle": "Lectern",
            "categoryId": "27",
            "liveBroadcastContent": "none",
        },
        "contentDetails": {
            "duration": duration,
            "dimension": "2d",
            "definition": "hd",
            "caption": "false",
            "licensedContent": False,
            "contentRating": {},
            "projection": "rectangular",
        },
        "status": {
            "uploadStatus": "processed",
            "privacyStatus": "public",
            "license": "youtube",
            "embeddable": True,
            "publicStatsViewable": True,
            "madeForKids": False,
        },
    }


def videos_page(videos: list) -> dict:
    return {
        "kind": "youtube#videoListResponse",
        "etag": "etag-videos",
        "items": videos,
        "pageInfo": {"totalResults": len(videos), "resultsPerPage": len(videos)},
    }


def playlist(playlist_id: str, title: str, description: str, count: int) -> dict:
    return {
        "kind": "youtube#playlistListResponse",
        "etag": f"etag-{playlist_id}",
        "pageInfo": {"totalResults": 1, "resultsPerPage": 1},
        "items": [
            {
                "kind": "youtube#playlist",
                "etag": f"etag-{playlist_id}-item",
                "id": playlist_id,
                "snippet": {
                    "publishedAt": "2025-11-01T08:00:00Z",
                    "channelId": CHANNEL,
                    "title": title,
                    "description": description,
                    "thumbnails": thumbnails("playlist00x"),
                    "channelTitle": "Lectern",
                    "localized": {"title": title, "description": description},
                },
                "contentDetails": {"itemCount": count},
            }
        ],
    }


def error(code: int, message: str, reason: str, domain: str, status: str) -> dict:
    return {
        "error": {
            "code": code,
            "message": message,
            "errors": [{"message": message, "domain": domain, "reason": reason}],
            "status": status,
        }
    }


def compact(data: dict) -> dict:
    """Keep only the default thumbnail: the large fixtures stay small."""
    for entry in data["items"]:
        thumbs = entry["snippet"].get("thumbnails")
        if thumbs:
            entry["snippet"]["thumbnails"] = {"default": thumbs["default"]}
    return data


def write(name: str, data: dict, indent: int | None = 2) -> None:
    text = json.dumps(data, indent=indent, ensure_ascii=False)
    (HERE / name).write_text(text + "\n")


def main() -> None:
    write(
        "playlists_list.json",
        playlist(
            SMALL,
            "Django for beginners",
            "Build and test a Django web application from scratch.",
            7,
        ),
    )
    write(
        "playlists_list_empty.json",
        {
            "kind": "youtube#playlistListResponse",
            "etag": "etag-empty",
            "pageInfo": {"totalResults": 0, "resultsPerPage": 1},
            "items": [],
        },
    )
    # Page 1: two videos and a deleted one; page 2: a video, a private one, one that
    # videos.list no longer returns, and the first video again (playlists allow repeats).
    write(
        "playlist_items_page1.json",
        items_page(
            [
                item(SMALL, 0, "aaaaaaaaaa1", "Welcome to Django"),
                item(SMALL, 1, "bbbbbbbbbb2", "Models and migrations"),
                item(SMALL, 2, "ccccccccc_3", "Deleted video", "privacyStatusUnspecified"),
            ],
            7,
            "EAAaBlBUOkNBTQ",
            per_page=3,
        ),
    )
    write(
        "playlist_items_page2.json",
        items_page(
            [
                item(SMALL, 3, "dddddddddd4", "Views and URLs"),
                item(SMALL, 4, "eeeeeeeee-5", "Private video", "private"),
                item(SMALL, 5, "ffffffffff6", "Testing with pytest"),
                item(SMALL, 6, "aaaaaaaaaa1", "Welcome to Django"),
            ],
            7,
            None,
            per_page=4,
        ),
    )
    write(
        "videos_list.json",
        videos_page(
            [
                video("aaaaaaaaaa1", "Welcome to Django", "PT4M13S"),
                video("bbbbbbbbbb2", "Models and migrations", "PT1H2M3S"),
                video("dddddddddd4", "Views and URLs", "PT15M"),
            ]
        ),
    )
    # The same playlist later: reordered, one title changed, one video added, one made
    # private, and the deleted, private and missing videos gone.
    write(
        "playlist_items_reimport.json",
        items_page(
            [
                item(SMALL, 0, "dddddddddd4", "Views, URLs and templates"),
                item(SMALL, 1, "aaaaaaaaaa1", "Welcome to Django"),
                item(SMALL, 2, "ggggggggg77", "Deploying Django"),
                item(SMALL, 3, "bbbbbbbbbb2", "Private video", "private"),
            ],
            4,
            None,
        ),
    )
    write(
        "videos_list_reimport.json",
        videos_page(
            [
                video("dddddddddd4", "Views, URLs and templates", "PT16M"),
                video("aaaaaaaaaa1", "Welcome to Django", "PT4M13S"),
                video("ggggggggg77", "Deploying Django", "PT30S"),
            ]
        ),
    )
    write(
        "error_playlist_not_found.json",
        error(
            404,
            "The playlist identified with the request's <code>playlistId</code> parameter "
            "cannot be found.",
            "playlistNotFound",
            "youtube.playlistItem",
            "NOT_FOUND",
        ),
    )
    write(
        "error_playlist_private.json",
        error(
            403,
            "The request is not properly authorized to retrieve the specified playlist.",
            "playlistItemsNotAccessible",
            "youtube.playlistItem",
            "PERMISSION_DENIED",
        ),
    )
    write(
        "error_quota_exceeded.json",
        error(
            403,
            "The request cannot be completed because you have exceeded your "
            '<a href="/youtube/v3/getting-started#quota">quota</a>.',
            "quotaExceeded",
            "youtube.quota",
            "PERMISSION_DENIED",
        ),
    )
    write(
        "error_backend.json",
        error(
            503, "The service is currently unavailable.", "backendError", "global", "UNAVAILABLE"
        ),
    )
    write(
        "error_key_invalid.json",
        error(
            400,
            "API key not valid. Please pass a valid API key.",
            "badRequest",
            "global",
            "INVALID_ARGUMENT",
        ),
    )

    # A 200-video playlist: four pages of 50, durations from 1 to 200 minutes.
    ids = [f"L{n:09d}x" for n in range(200)]
    write(
        "large_playlists_list.json",
        playlist(LARGE, "Two hundred lessons", "A long course.", 200),
    )
    for page in range(4):
        chunk = ids[page * 50 : (page + 1) * 50]
        write(
            f"large_playlist_items_page{page + 1}.json",
            compact(
                items_page(
                    [
                        item(LARGE, page * 50 + i, vid, f"Lesson {page * 50 + i + 1}")
                        for i, vid in enumerate(chunk)
                    ],
                    200,
                    f"PAGE{page + 2}" if page < 3 else None,
                )
            ),
            indent=None,
        )
        write(
            f"large_videos_list_{page + 1}.json",
            compact(
                videos_page(
                    [
                        video(vid, f"Lesson {page * 50 + i + 1}", f"PT{page * 50 + i + 1}M")
                        for i, vid in enumerate(chunk)
                    ]
                )
            ),
            indent=None,
        )


if __name__ == "__main__":
    main()
