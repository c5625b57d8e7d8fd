"""Property-based fuzzing of every documented operation, from the project's own OpenAPI
schema, as anonymous, student, mentor and admin: no response is a 5xx, and every response
matches its documented status codes, content type and body schema.

Bounded: SCHEMATHESIS_MAX_EXAMPLES examples per operation and role (default 8)."""

import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests.accounts.factories import AdminFactory, MentorFactory, StudentFactory
from tests.conftest import client_for

MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "8"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
ROLE_FACTORIES = {"student": StudentFactory, "mentor": MentorFactory, "admin": AdminFactory}


@pytest.fixture(scope="module")
def api_schema(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        return schemathesis.openapi.from_wsgi("/api/v1/schema/", get_wsgi_application())


def headers_for(role: str) -> dict[str, str]:
    if role == "anonymous":
        return {}
    client = client_for(ROLE_FACTORIES[role]())
    return {"Authorization": client._credentials["HTTP_AUTHORIZATION"]}


@pytest.mark.parametrize("role", ["anonymous", "student", "mentor", "admin"])
@pytest.mark.django_db
def test_every_operation_conforms(api_schema, role, settings_override):
    headers = headers_for(role)
    failures: list[str] = []
    for result in api_schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def check(case):
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            check()
        except Exception as exc:
            failures.append(f"{operation.label}: {str(exc)[:1500]}")
    assert not failures, "\n\n".join(failures)


@pytest.fixture
def keep_test_connection():
    """Requests go through the real WSGI handler, whose request signals would close the
    test's database connection (and its transaction); Django's test client does the same."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def settings_override(settings, keep_test_connection):
    """No rate limiting or lockouts while fuzzing (they would answer 429 for everything), and
    the integrations configured, so their real code paths are fuzzed rather than a 503."""
    settings.RATE_LIMIT_ENABLED = False
    settings.LOGIN_LOCKOUT_ACCOUNT_FAILURES = 10**9
    settings.LOGIN_LOCKOUT_IP_FAILURES = 10**9
    settings.PAYMENT_WEBHOOK_SECRET = "fuzzing-secret"
    settings.GOOGLE_OAUTH_CLIENT_ID = "fuzzing-client"
    settings.GOOGLE_OAUTH_CLIENT_SECRET = "fuzzing-secret"
    settings.GOOGLE_OAUTH_REDIRECT_URI = "https://app.example.com/youtube/callback"
