"""YouTube search for the recommendation places that course videos do not fill.

One query per topic ("<topic> <course keywords>"), asked once per duration class in
REMEDIATION_YOUTUBE_DURATIONS (medium and long by default: no short videos, no shorts),
and cached for REMEDIATION_YOUTUBE_CACHE_SECONDS (days): search.list costs 100 quota
units a call, and questions with the same topic share the query and so the cached result.
Errors are not cached; they reach the caller as `videos.youtube.YouTubeError`."""

from dataclasses import asdict

from django.conf import settings

from config.cache import cached
from videos import youtube


def search_configured() -> bool:
    return bool(settings.YOUTUBE_API_KEY)


def search_query(*, topic: str, context_keywords: list[str]) -> str:
    """The topic, then the course's main words that the topic does not already hold."""
    topic_words = set(topic.lower().split())
    extra = [word for word in context_keywords if word.lower() not in topic_words]
    return " ".join([topic, *extra]).strip()[:200]


@cached(ttl=settings.REMEDIATION_YOUTUBE_CACHE_SECONDS, key_prefix="remediation:youtube-search")
def youtube_search(query: str) -> list[dict[str, str]]:
    """Results of every configured duration class, each video once, in YouTube's order
    within each class (medium first)."""
    client = youtube.YouTubeClient()
    seen: set[str] = set()
    results: list[dict[str, str]] = []
    for duration in settings.REMEDIATION_YOUTUBE_DURATIONS:
        for result in client.search(
            query, duration=duration, max_results=settings.REMEDIATION_YOUTUBE_RESULTS
        ):
            if result.youtube_id not in seen:
                seen.add(result.youtube_id)
                results.append(asdict(result))
    return results
