"""The one error body, for every kind of error under /api/."""

import pytest
from django.db import DataError
from rest_framework.test import APIClient

from accounts.models import Notification

pytestmark = pytest.mark.django_db

ERROR_KEYS = {"status_code", "code", "message"}


def test_unknown_api_url_is_json_404(api_client):
    response = api_client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status_code": 404, "code": "not_found", "message": "Not found."}


def test_method_not_allowed_is_json_405(student_client):
    response = student_client.put("/api/v1/auth/me", {})
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"
    assert set(response.json()) == ERROR_KEYS


def test_malformed_json_is_400_parse_error(api_client):
    response = api_client.post(
        "/api/v1/auth/login", data="{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    assert response.json()["status_code"] == 400


def test_missing_credentials_is_401_with_body(api_client):
    response = api_client.get("/api/v1/auth/me")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_garbage_token_is_401(api_client):
    response = api_client.get("/api/v1/auth/me", HTTP_AUTHORIZATION="Bearer not.a.jwt")
    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"


def test_validation_errors_carry_field_errors(api_client):
    response = api_client.post("/api/v1/auth/signup", {"email": "not-an-email"})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert {"email", "username", "password"} <= set(body["errors"])
    assert body["message"].startswith("Invalid input")


@pytest.mark.urls("tests.platform.urls")
def test_unhandled_error_in_drf_view_is_json_500():
    client = APIClient(raise_request_exception=False)
    response = client.get("/api/v1/test/drf-crash")
    assert response.status_code == 500
    assert response.json() == {
        "status_code": 500,
        "code": "server_error",
        "message": "An unexpected error occurred.",
    }
    assert "boom" not in response.content.decode()


@pytest.mark.urls("tests.platform.urls")
def test_unhandled_error_in_plain_django_view_under_api_is_json_500():
    client = APIClient(raise_request_exception=False)
    response = client.get("/api/v1/test/django-crash")
    assert response.status_code == 500
    assert response.json()["code"] == "server_error"


@pytest.mark.urls("tests.platform.urls")
@pytest.mark.parametrize("prefix", ["/api/v1/test", "/_allauth/test"])
def test_a_database_outage_outside_drf_is_json_503(prefix):
    client = APIClient(raise_request_exception=False)
    response = client.get(f"{prefix}/database-down")
    assert response.status_code == 503
    assert response.json() == {
        "status_code": 503,
        "code": "service_unavailable",
        "message": "The database is unavailable; try again.",
    }


@pytest.mark.urls("tests.platform.urls")
def test_allauth_paths_answer_errors_in_the_error_body():
    client = APIClient(raise_request_exception=False)
    crash = client.get("/_allauth/test/crash")
    unknown = client.get("/_allauth/no/such/endpoint")
    assert (crash.status_code, crash.json()["code"]) == (500, "server_error")
    assert (unknown.status_code, unknown.json()["code"]) == (404, "not_found")


@pytest.mark.urls("tests.platform.urls")
def test_domain_errors_map_to_status_and_extra_fields(api_client):
    conflict = api_client.get("/api/v1/test/conflict")
    assert conflict.status_code == 409
    assert conflict.json() == {
        "status_code": 409,
        "code": "already_done",
        "message": "Already done.",
    }
    payment = api_client.get("/api/v1/test/payment")
    assert payment.status_code == 402
    assert payment.json() == {
        "status_code": 402,
        "code": "insufficient_credits",
        "message": "Not enough credits.",
        "required": 5,
        "available": 2,
    }


@pytest.mark.parametrize("page_size", ["0", "101", "abc", "-3"])
def test_page_size_out_of_range_is_refused(staff_client, page_size):
    response = staff_client.get(f"/api/v1/users?page_size={page_size}")
    assert response.status_code == 400
    assert "page_size" in response.json()["errors"]


def test_list_envelope(staff_client):
    response = staff_client.get("/api/v1/users?page_size=100")
    assert response.status_code == 200
    assert set(response.json()) == {"count", "next", "previous", "results"}


def test_oversized_body_is_413_and_changes_nothing(api_client, settings):
    from accounts.models import User

    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    response = api_client.post(
        "/api/v1/auth/signup",
        {"email": "big@example.com", "username": "big", "password": "x" * 4000},
    )
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"
    assert not User.objects.filter(username="big").exists()


def test_an_oversized_body_is_413_even_where_the_view_reads_no_body(student_client, settings):
    notification = Notification.objects.create(
        user=student_client.user, type=Notification.Type.WELCOME, title="Welcome"
    )
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    response = student_client.post(
        "/api/v1/notifications/read-all", {"padding": "x" * 2000}, format="json"
    )

    assert response.status_code == 413
    assert response.json() == {
        "status_code": 413,
        "code": "payload_too_large",
        "message": "The request body is too large.",
    }
    assert "X-RateLimit-Limit" in response
    notification.refresh_from_db()
    assert notification.read_at is None


def test_database_outage_is_json_503(student_client, monkeypatch):
    from django.db import OperationalError

    from accounts.api import views

    def down(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(views.services, "user_update", down)
    response = student_client.patch("/api/v1/auth/me", {"first_name": "X"})
    assert response.status_code == 503
    assert response.json() == {
        "status_code": 503,
        "code": "service_unavailable",
        "message": "The database is unavailable; try again.",
    }


@pytest.mark.parametrize("value", ["-2.2085828936713778e%2B43", "99999999999999999999", "1.5"])
def test_out_of_range_integer_in_a_filter_is_400(student_client, value):
    response = student_client.get(f"/api/v1/courses?instructor={value}")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "instructor" in response.json()["errors"]


def test_out_of_range_integer_in_a_path_is_not_a_500(student_client):
    response = student_client.get("/api/v1/courses/12199445970362342982794476318097408")
    assert response.status_code in {400, 404}
    assert response.json()["status_code"] == response.status_code


@pytest.mark.parametrize("error", [OverflowError("int too large"), DataError("out of range")])
def test_values_the_database_cannot_hold_are_400_not_500(error):
    from config.api.exceptions import exception_handler

    response = exception_handler(error, {})
    assert response.status_code == 400
    assert response.data == {
        "status_code": 400,
        "code": "invalid",
        "message": "A value in the request is out of range.",
    }


@pytest.mark.parametrize("url", ["/api/v1/schema/", "/api/v1/docs/", "/api/v1/redoc/"])
def test_the_documentation_pages_answer_errors_in_the_json_error_body(api_client, url):
    response = api_client.post(url, {})

    assert response.status_code == 405
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "status_code": 405,
        "code": "method_not_allowed",
        "message": 'Method "POST" not allowed.',
    }


@pytest.mark.parametrize(
    ("search", "message"),
    [("x" * 201, "At most 200 characters."), (" ".join(["word"] * 11), "At most 10 words.")],
)
def test_an_unbounded_search_is_400(staff_client, search, message):
    response = staff_client.get("/api/v1/users", {"search": search})

    assert response.status_code == 400
    assert response.json() == {
        "status_code": 400,
        "code": "invalid",
        "message": "Invalid input: search.",
        "errors": {"search": [message]},
    }


def test_a_search_within_bounds_is_answered(staff_client, student):
    longest = staff_client.get("/api/v1/users", {"search": "x" * 200})
    most_words = staff_client.get("/api/v1/users", {"search": " ".join([student.username] * 10)})

    assert (longest.status_code, longest.json()["count"]) == (200, 0)
    assert (most_words.status_code, most_words.json()["count"]) == (200, 1)
