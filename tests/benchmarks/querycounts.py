"""The number of SQL queries each list endpoint makes for a page of 20 and a page of 100,
counted in-process (Django's test client, CaptureQueriesContext) against the run database.
Each request is made once to warm the caches, then counted; a list whose count grows with
the page has an N+1 somewhere."""

from datetime import timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.benchmarks.run import Context


def _client(token: str) -> Any:
    from django.test import Client

    return Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_X_FORWARDED_PROTO="https")


def _count(client: Any, path: str) -> tuple[int, int, int]:
    """(status, rows on the page, queries) of a GET, after one warm-up GET."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(path)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    body = (
        response.json() if response.get("Content-Type", "").startswith("application/json") else {}
    )
    rows = len(body.get("results", [])) if isinstance(body, dict) else len(body)
    return response.status_code, rows, len(queries)


def count_all(context: "Context") -> list[dict[str, Any]]:
    from django.utils import timezone

    from accounts.models import User
    from courses.models import Course

    student_id = sorted(context.enrollments)[0]
    student = _client(context.student_tokens[student_id])
    course_id = context.enrollments[student_id][0]
    video_id = context.videos[course_id][0]
    answered_user, answered_course = context.answered[0]
    answered = _client(context.student_tokens[answered_user])
    admin = _client(context.admin_token)
    busiest = Course.objects.order_by("id").first()
    assert busiest is not None
    instructor = User.objects.get(pk=busiest.instructor_id)
    from rest_framework_simplejwt.tokens import AccessToken

    from accounts.tokens import TOKEN_VERSION_CLAIM

    access = AccessToken.for_user(instructor)
    access[TOKEN_VERSION_CLAIM] = instructor.token_version
    teacher = _client(str(access))
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()

    endpoints = [
        ("student", student, "/api/v1/courses"),
        ("student", student, f"/api/v1/courses/{course_id}/videos"),
        ("student", answered, f"/api/v1/courses/{answered_course}/assessment-videos"),
        ("staff", admin, "/api/v1/stats/dashboard"),
        ("student", student, f"/api/v1/progress/video/{video_id}"),
        ("student", student, "/api/v1/attendance/me"),
        ("student", student, "/api/v1/credits/transactions"),
        ("instructor", teacher, f"/api/v1/courses/{busiest.pk}/students"),
        ("instructor", teacher, f"/api/v1/courses/{busiest.pk}/question-videos"),
        ("staff", admin, f"/api/v1/attendance/date/{yesterday}"),
        ("staff", admin, "/api/v1/users"),
    ]
    rows = []
    for role, client, path in endpoints:
        separator = "&" if "?" in path else "?"
        status_20, rows_20, queries_20 = _count(client, f"{path}{separator}page_size=20")
        if status_20 == 404 and path.endswith("/stats/dashboard"):
            rows.append({"endpoint": f"GET {path}", "as": role, "available": False})
            continue
        status_100, rows_100, queries_100 = _count(client, f"{path}{separator}page_size=100")
        rows.append(
            {
                "endpoint": f"GET {path}",
                "as": role,
                "status": [status_20, status_100],
                "rows_20": rows_20,
                "rows_100": rows_100,
                "queries_20": queries_20,
                "queries_100": queries_100,
            }
        )
    return rows
