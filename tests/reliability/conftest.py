"""Fixtures of the reliability tests: the permission matrix's world, and for the fault tests
the servers and workers they start. Every process and server a test starts is stopped when the
test ends, whatever happened; `manage.py check_ledger` must pass after every test here that
committed data."""

import io

import pytest
from django.core.management import call_command

from tests.reliability.faults import REDIS_SERVER, Workers, start_redis_server
from tests.reliability.world import PRINCIPALS, WEBHOOK_SECRET, World, build_world


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """After every passing fault test that committed data, the ledger must still balance
    (check_ledger raises CommandError naming the accounts that do not)."""
    result = yield
    marker = item.get_closest_marker("django_db")
    if marker is not None and marker.kwargs.get("transaction"):
        call_command("check_ledger", stdout=io.StringIO())
    return result


@pytest.fixture
def redis_server(tmp_path):
    """A Redis server of this test alone (see `faults.RedisServer`), started."""
    if REDIS_SERVER is None:
        pytest.skip("redis-server is not installed")
    directory = tmp_path / "redis"
    directory.mkdir()
    server = start_redis_server(directory)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def workers(transactional_db, redis_server, tmp_path):
    """Starts Celery worker processes on `redis_server` against the test database; all are
    killed before the database is flushed."""
    directory = tmp_path / "runs"
    directory.mkdir()
    pool = Workers(broker_url=redis_server.url(), directory=directory)
    try:
        yield pool
    finally:
        pool.stop_all()


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
