import pytest
import requests
from responses import matchers

from courses.lms.client import (
    CanvasAuthError,
    CanvasClient,
    CanvasError,
    CanvasTransientError,
)
from tests.courses import canvas

QUIZZES = f"{canvas.BASE}/api/v1/courses/{canvas.LMS_COURSE}/quizzes"


def client(**kwargs):
    sleeps: list[float] = []
    defaults = {"max_retries": 3, "backoff": 1.0, "backoff_max": 8.0}
    built = CanvasClient(
        base_url=canvas.BASE, token="secret-token", sleep=sleeps.append, **{**defaults, **kwargs}
    )
    return built, sleeps


def test_pagination_follows_link_headers_and_sends_the_token(canvas_api):
    canvas.add_pages(
        canvas_api,
        f"/api/v1/courses/{canvas.LMS_COURSE}/quizzes",
        [canvas.recorded("quizzes_page1"), canvas.recorded("quizzes_page2")],
    )
    built, sleeps = client()

    quizzes = built.quizzes(canvas.LMS_COURSE)

    assert [quiz["id"] for quiz in quizzes] == [101, 102, 103, 104, 105]
    assert [call.request.headers["Authorization"] for call in canvas_api.calls] == [
        "Bearer secret-token"
    ] * 2
    assert canvas_api.calls[1].request.url == f"{QUIZZES}?page=2&per_page=100"
    assert sleeps == []


def test_every_request_has_connect_and_read_timeouts(settings):
    settings.LMS_CONNECT_TIMEOUT = 3.0
    settings.LMS_READ_TIMEOUT = 12.0
    seen = {}

    class Session(requests.Session):
        def get(self, url, **kwargs):  # type: ignore[override]
            seen.update(kwargs)
            response = requests.Response()
            response.status_code = 200
            response._content = b"[]"
            return response

    CanvasClient(base_url=canvas.BASE, token="t", session=Session()).quizzes("1")

    assert seen["timeout"] == (3.0, 12.0)
    assert seen["allow_redirects"] is False


@pytest.mark.parametrize(
    ("status", "body", "headers"),
    [
        (429, "", {}),
        (403, "403 Forbidden (Rate Limit Exceeded)", {"X-Rate-Limit-Remaining": "0.0"}),
        (500, "Internal Server Error", {}),
        (502, "Bad Gateway", {}),
        (503, "Service Unavailable", {}),
    ],
)
def test_throttling_and_server_errors_are_retried_with_backoff(canvas_api, status, body, headers):
    for _ in range(2):
        canvas_api.get(QUIZZES, status=status, body=body, headers=headers)
    canvas_api.get(QUIZZES, json=[{"id": 1}])
    built, sleeps = client()

    assert built.quizzes(canvas.LMS_COURSE) == [{"id": 1}]
    assert len(canvas_api.calls) == 3
    assert sleeps == [1.0, 2.0]


def test_retry_after_is_honoured_within_the_cap(canvas_api):
    canvas_api.get(QUIZZES, status=429, headers={"Retry-After": "5"})
    canvas_api.get(QUIZZES, status=429, headers={"Retry-After": "120"})
    canvas_api.get(QUIZZES, json=[])
    built, sleeps = client()

    built.quizzes(canvas.LMS_COURSE)

    assert sleeps == [5.0, 8.0]


def test_network_errors_are_retried(canvas_api):
    canvas_api.get(QUIZZES, body=requests.ConnectionError("connection reset"))
    canvas_api.get(QUIZZES, body=requests.ReadTimeout("read timed out"))
    canvas_api.get(QUIZZES, json=[])
    built, sleeps = client()

    assert built.quizzes(canvas.LMS_COURSE) == []
    assert sleeps == [1.0, 2.0]


def test_retries_run_out_as_a_transient_error(canvas_api):
    for _ in range(4):
        canvas_api.get(QUIZZES, status=503)
    built, sleeps = client()

    with pytest.raises(CanvasTransientError) as caught:
        built.quizzes(canvas.LMS_COURSE)

    assert "gave up after 4 attempts" in str(caught.value)
    assert len(canvas_api.calls) == 4
    assert sleeps == [1.0, 2.0, 4.0]


@pytest.mark.parametrize(
    ("status", "body", "error", "message"),
    [
        (401, {"errors": [{"message": "Invalid access token."}]}, CanvasAuthError, "Invalid"),
        (403, {"errors": [{"message": "user not authorized"}]}, CanvasError, "403"),
        (
            404,
            {"errors": [{"message": "The specified resource does not exist."}]},
            CanvasError,
            "404",
        ),
        (400, {"message": "bad request"}, CanvasError, "400"),
    ],
)
def test_other_client_errors_are_not_retried(canvas_api, status, body, error, message):
    canvas_api.get(QUIZZES, status=status, json=body)
    built, sleeps = client()

    with pytest.raises(error) as caught:
        built.quizzes(canvas.LMS_COURSE)

    assert message in str(caught.value)
    assert caught.value.status == status
    assert len(canvas_api.calls) == 1
    assert sleeps == []


@pytest.mark.parametrize(
    "next_url",
    [
        "https://evil.example.com/api/v1/courses/4821/quizzes?page=2",
        "http://canvas.example.edu/api/v1/courses/4821/quizzes?page=2",
    ],
)
def test_pagination_never_follows_a_link_to_another_host(canvas_api, next_url):
    canvas_api.get(QUIZZES, json=[{"id": 1}], headers={"Link": f'<{next_url}>; rel="next"'})
    built, _ = client()

    with pytest.raises(CanvasError, match="another host"):
        built.quizzes(canvas.LMS_COURSE)

    assert len(canvas_api.calls) == 1


def test_a_pagination_loop_is_stopped(canvas_api):
    page = f"{QUIZZES}?page=2&per_page=100"
    canvas_api.get(QUIZZES, json=[], headers={"Link": f'<{page}>; rel="next"'})
    canvas_api.get(
        QUIZZES,
        json=[],
        headers={"Link": f'<{page}>; rel="next"'},
        match=[matchers.query_param_matcher({"page": "2", "per_page": "100"})],
    )
    built, _ = client()

    with pytest.raises(CanvasError, match="circle"):
        built.quizzes(canvas.LMS_COURSE)


def test_a_body_that_is_not_a_list_is_an_error(canvas_api):
    canvas_api.get(QUIZZES, json={"status": "unauthenticated"})
    built, _ = client()

    with pytest.raises(CanvasError, match="not a list"):
        built.quizzes(canvas.LMS_COURSE)


def test_the_client_refuses_an_unsafe_base_url():
    with pytest.raises(ValueError, match="private, loopback"):
        CanvasClient(base_url="https://intranet.example.edu", token="t")
