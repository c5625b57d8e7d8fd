import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from config.cache import cached
from config.logging import JsonFormatter, RequestIdFilter, request_id_var

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def test_health_is_ok(api_client):
    response = api_client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_ready_checks_database_cache_and_broker(api_client, settings):
    settings.REDIS_URL = ""
    response = api_client.get("/ready")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "cache": "ok", "broker": "ok"},
    }


def test_ready_is_503_naming_the_failing_check(api_client, monkeypatch):
    from health_check import checks
    from health_check.exceptions import ServiceUnavailable

    def broken(self):
        raise ServiceUnavailable("cache unreachable")

    monkeypatch.setattr(checks.Cache, "run", broken)
    response = api_client.get("/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == "ok"
    assert "cache unreachable" in body["checks"]["cache"]


def test_request_id_is_generated_or_echoed(api_client):
    generated = api_client.get("/health")["X-Request-ID"]
    assert len(generated) == 32
    echoed = api_client.get("/health", HTTP_X_REQUEST_ID="abc-123")
    assert echoed["X-Request-ID"] == "abc-123"
    replaced = api_client.get("/health", HTTP_X_REQUEST_ID="bad id\nwith newline")
    assert replaced["X-Request-ID"] != "bad id\nwith newline"


def test_json_log_lines_carry_the_request_id():
    record = logging.LogRecord("lectern", logging.INFO, __file__, 1, "hello %s", ("x",), None)
    token = request_id_var.set("rid-1")
    try:
        RequestIdFilter().filter(record)
        line = json.loads(JsonFormatter().format(record))
    finally:
        request_id_var.reset(token)
    assert line["message"] == "hello x"
    assert line["request_id"] == "rid-1"
    assert line["level"] == "INFO"


def test_schema_validates_without_warnings(tmp_path):
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml")
    )
    assert (tmp_path / "schema.yml").read_text().startswith("openapi: 3")


def test_docs_are_served_from_sidecar_not_a_cdn(api_client):
    for url in ("/api/v1/docs/", "/api/v1/redoc/"):
        response = api_client.get(url)
        assert response.status_code == 200
        html = response.content.decode()
        assert "cdn.jsdelivr" not in html
        assert "drf_spectacular_sidecar" in html or "/static/" in html


def test_cached_helper_caches_and_invalidates():
    calls: list[int] = []

    @cached(ttl=60, key_prefix="test-double")
    def double(value: int) -> int:
        calls.append(value)
        return value * 2

    assert double(2) == 4
    assert double(2) == 4
    assert calls == [2]
    double.invalidate(2)
    assert double(2) == 4
    assert calls == [2, 2]
    double(3)
    double.invalidate_all()
    double(2)
    double(3)
    assert calls == [2, 2, 3, 2, 3]


def test_cached_helper_survives_a_broken_cache(monkeypatch):
    from config import cache as cache_module

    class Broken:
        def __getattr__(self, name):
            def fail(*args, **kwargs):
                raise ConnectionError("down")

            return fail

    monkeypatch.setattr(cache_module, "cache", Broken())

    @cached(ttl=60, key_prefix="test-broken")
    def triple(value: int) -> int:
        return value * 3

    assert triple(3) == 9


def test_production_settings_refuse_to_start_without_secret_key():
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DJANGO_SETTINGS_MODULE"}}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.production"
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_settings_pass_check_deploy():
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY="x" * 20 + "-production-grade-secret-key-with-enough-entropy-9f8e7d",
        FIELD_ENCRYPTION_KEYS="dGVzdC1rZXktdGVzdC1rZXktdGVzdC1rZXktdGVzdCE=",
        ALLOWED_HOSTS="api.example.com",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_wall_clock_times_are_documented_as_patterns(api_client):
    schema = api_client.get("/api/v1/schema/?format=json").json()
    availability = schema["components"]["schemas"]["AvailabilityWindow"]["properties"]
    assert "format" not in availability["start_time"]
    assert availability["start_time"]["pattern"].startswith("^\\d{2}:\\d{2}")


def test_cached_helper_hit_is_one_cache_round_trip(monkeypatch):
    from config import cache as cache_module

    operations: list[str] = []
    real = cache_module.cache

    class Counting:
        def __getattr__(self, name):
            operations.append(name)
            return getattr(real, name)

    @cached(ttl=60, key_prefix="test-round-trips")
    def square(value: int) -> int:
        return value * value

    square(4)
    monkeypatch.setattr(cache_module, "cache", Counting())
    assert square(4) == 16
    assert operations == ["get_many"]


def test_cached_helper_ignores_an_entry_stored_under_an_old_version():
    """A caller that computed its value before `invalidate_all` and stores it after does
    not bring the old value back."""
    from django.core.cache import cache

    calls: list[int] = []

    @cached(ttl=60, key_prefix="test-versions")
    def value_of(value: int) -> int:
        calls.append(value)
        return value

    value_of(1)
    stale_entry = cache.get(value_of.key(1))
    value_of.invalidate_all()
    cache.set(value_of.key(1), stale_entry, 60)
    value_of(1)
    assert calls == [1, 1]
