import pytest

from tests.reliability.world import PRINCIPALS, WEBHOOK_SECRET, World, build_world


@pytest.fixture
def world(db, settings) -> World:
    """The world of `world.py`, with the integrations configured (so their endpoints answer
    rather than a 503) and every principal's client made."""
    settings.PAYMENT_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.YOUTUBE_API_KEY = "world-key"
    settings.GOOGLE_OAUTH_CLIENT_ID = "world-client"
    settings.GOOGLE_OAUTH_CLIENT_SECRET = "world-secret"
    settings.GOOGLE_OAUTH_REDIRECT_URI = "https://app.example.com/youtube/callback"
    world = build_world()
    for principal in PRINCIPALS:
        world.client(principal)
    return world
