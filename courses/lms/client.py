"""A small Canvas REST client over `requests`.

- Every request has a connect and a read timeout.
- Lists follow the `Link: <...>; rel="next"` header until the last page; a next link to
  another host than the base URL's is refused (the token must not leave for it).
- Throttling (429, and 403 "Rate Limit Exceeded", which is how Canvas usually throttles),
  5xx answers and network errors are retried with exponential backoff (honouring
  `Retry-After` when given); once the retries run out `CanvasTransientError` is raised for
  the caller to try later. Any other 4xx is final (`CanvasError`, `CanvasAuthError` for
  401): retrying the same request cannot help."""

import logging
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import requests
from django.conf import settings

from courses.lms.safety import UnsafeLink, check_link

logger = logging.getLogger(__name__)

RATE_LIMIT_MARKER = "rate limit exceeded"


class CanvasError(Exception):
    """Canvas refused the request for a reason retrying cannot fix."""

    def __init__(self, message: str, *, status: int | None = None):
        super().__init__(message)
        self.status = status


class CanvasAuthError(CanvasError):
    """The token is missing, expired or revoked (401)."""


class CanvasTransientError(CanvasError):
    """Throttled, a server error or a network failure, still failing after the retries."""


def _is_throttled(response: requests.Response) -> bool:
    if response.status_code == 429:
        return True
    return response.status_code == 403 and RATE_LIMIT_MARKER in response.text[:2000].lower()


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def _error_message(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200] or response.reason
    if isinstance(body, dict):
        errors = body.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            return str(errors[0].get("message", ""))[:200]
        if isinstance(body.get("message"), str):
            return str(body["message"])[:200]
    return response.reason


class CanvasClient:
    """Calls one Canvas instance (`base_url`, already checked by `safety.check_link`) with
    one token. `session` and `sleep` are injectable for tests."""

    def __init__(
        self,
        *,
        base_url: str,
        token: str,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        max_retries: int | None = None,
        backoff: float | None = None,
        backoff_max: float | None = None,
        timeout: tuple[float, float] | None = None,
    ):
        self.base_url = check_link(base_url)
        self.host = urlsplit(self.base_url).netloc
        self.session = session or requests.Session()
        self.session.headers.update(
            {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        )
        self.sleep = sleep
        self.max_retries = settings.LMS_MAX_RETRIES if max_retries is None else max_retries
        self.backoff = settings.LMS_RETRY_BACKOFF if backoff is None else backoff
        self.backoff_max = settings.LMS_RETRY_BACKOFF_MAX if backoff_max is None else backoff_max
        self.timeout = timeout or (settings.LMS_CONNECT_TIMEOUT, settings.LMS_READ_TIMEOUT)

    def _url(self, path: str) -> str:
        return f"{self.base_url}/{path.lstrip('/')}"

    def _delay(self, attempt: int, response: requests.Response | None) -> float:
        delay = min(self.backoff * 2**attempt, self.backoff_max)
        retry_after = _retry_after(response) if response is not None else None
        if retry_after is not None:
            delay = min(max(delay, retry_after), self.backoff_max)
        return delay

    def get(self, url: str, params: dict[str, Any] | None = None) -> requests.Response:
        """GET with retries. Returns the successful response; raises CanvasError,
        CanvasAuthError or CanvasTransientError."""
        reason = ""
        for attempt in range(self.max_retries + 1):
            response: requests.Response | None = None
            try:
                response = self.session.get(
                    url, params=params, timeout=self.timeout, allow_redirects=False
                )
            except (requests.ConnectionError, requests.Timeout) as exc:
                reason = f"could not reach Canvas ({exc.__class__.__name__})"
            else:
                if response.status_code < 300:
                    return response
                if _is_throttled(response):
                    reason = f"Canvas throttled the request ({response.status_code})"
                elif response.status_code >= 500:
                    reason = f"Canvas answered {response.status_code}"
                elif response.status_code == 401:
                    raise CanvasAuthError(
                        f"Canvas refused the token: {_error_message(response)}", status=401
                    )
                else:
                    raise CanvasError(
                        f"Canvas refused the request: {response.status_code} "
                        f"{_error_message(response)}",
                        status=response.status_code,
                    )
            if attempt < self.max_retries:
                delay = self._delay(attempt, response)
                logger.info("%s; retrying in %.1f s", reason, delay)
                self.sleep(delay)
        raise CanvasTransientError(
            f"{reason[:1].upper()}{reason[1:]}; gave up after {self.max_retries + 1} attempts."
        )

    def paginate(self, path: str, params: dict[str, Any] | None = None) -> Iterator[Any]:
        """Every item of a list endpoint, following `rel="next"` links. Some endpoints wrap
        their list in an object (`{"quiz_submissions": [...]}`): give `path` and read the
        pages with `pages` instead."""
        for page in self.pages(path, params):
            if not isinstance(page, list):
                raise CanvasError("Canvas answered with something that is not a list.")
            yield from page

    def pages(self, path: str, params: dict[str, Any] | None = None) -> Iterator[Any]:
        url: str | None = self._url(path)
        query = {"per_page": settings.LMS_PAGE_SIZE, **(params or {})}
        seen: set[str] = set()
        while url is not None:
            response = self.get(url, params=query)
            try:
                yield response.json()
            except ValueError as exc:
                raise CanvasError("Canvas answered with something that is not JSON.") from exc
            next_url = (response.links.get("next") or {}).get("url")
            url = self._checked_next(next_url) if next_url else None
            if url is not None:
                if url in seen:
                    raise CanvasError("Canvas pagination went round in a circle.")
                seen.add(url)
            query = {}  # the next link carries the query

    def _checked_next(self, url: str) -> str:
        parts = urlsplit(url)
        if parts.scheme != "https" or parts.netloc.lower() != self.host:
            raise CanvasError("Canvas pointed pagination at another host; stopped.")
        try:
            check_link(f"https://{parts.netloc}")
        except UnsafeLink as exc:
            raise CanvasError(str(exc)) from exc
        return url

    # --- the calls a sync needs ------------------------------------------------------------

    def quizzes(self, course_id: str) -> list[dict[str, Any]]:
        return list(self.paginate(f"/api/v1/courses/{course_id}/quizzes"))

    def quiz_questions(self, course_id: str, quiz_id: str) -> list[dict[str, Any]]:
        return list(self.paginate(f"/api/v1/courses/{course_id}/quizzes/{quiz_id}/questions"))

    def assignment_submissions(self, course_id: str, assignment_id: str) -> list[dict[str, Any]]:
        """Each student's submission of the quiz's assignment, with every attempt and its
        per-question results (`submission_history[].submission_data`)."""
        return list(
            self.paginate(
                f"/api/v1/courses/{course_id}/assignments/{assignment_id}/submissions",
                {"include[]": "submission_history"},
            )
        )
