"""Input limits on every route of the permission matrix, called by a principal the matrix
lets through: a body over DATA_UPLOAD_MAX_MEMORY_SIZE is a 413, a page size outside 1-100
a 400 and a page past the end a 404, an over-long string in a body field or in `?search=`
a 400; each in the error body, and none changes a row."""

import json
from typing import Any

from django.db import transaction
from django.urls import resolve
from rest_framework.filters import SearchFilter

from tests.reliability.test_permission_matrix import (
    MATRIX,
    WRITE_METHODS,
    Row,
    call_row,
    changed_tables,
    row_url,
)
from tests.reliability.world import World, database_state

# The principal tried first for each row: the first the row lets through.
ORDER = ("admin", "mentor", "student", "other_mentor", "other_student", "anonymous")
OVERLONG = "x" * 300_000


def admitted(spec: Row) -> str | None:
    return next((p for p in ORDER if spec.expected[p] < 400), None)


def body_of(spec: Row, world: World) -> Any:
    return spec.body(world) if callable(spec.body) else spec.body


def refused(
    world: World, spec: Row, body: Any, status: int, extra_query: str = ""
) -> tuple[Any, list[str]]:
    """Call as the admitted principal in a savepoint rolled back afterwards: the response,
    and what is wrong with it if it is not `status` in the error body with nothing changed."""
    principal = admitted(spec)
    assert principal is not None
    with transaction.atomic():
        before = database_state()
        response = call_row(world, spec, principal, body, extra_query)
        changed = changed_tables(before, database_state())
        transaction.set_rollback(True)
    where = f"{spec.method} {spec.name} as {principal}"
    problems = []
    if response.status_code != status or response["Content-Type"] != "application/json":
        problems.append(f"{where}: {response.status_code} {response.content[:200]!r}")
    elif response.json().get("status_code") != status or "code" not in response.json():
        problems.append(f"{where}: not the error body: {response.json()}")
    if changed:
        problems.append(f"{where}: refused with {response.status_code} but changed {changed}")
    return response, problems


WRITES = [spec for spec in MATRIX if spec.method in WRITE_METHODS and admitted(spec)]
READS = [spec for spec in MATRIX if spec.method == "GET" and admitted(spec)]


def test_every_write_refuses_a_body_over_the_limit(world, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 4096
    body = json.dumps({"padding": "x" * 5000}).encode()
    problems: list[str] = []
    for spec in WRITES:
        problems += refused(world, spec, body, 413)[1]
    assert not problems, "\n".join(problems)


def test_every_string_field_refuses_an_overlong_value(world):
    problems: list[str] = []
    checked = 0
    for spec in WRITES:
        body = body_of(spec, world)
        if not isinstance(body, dict):
            continue
        for field, value in body.items():
            if not isinstance(value, str):
                continue
            checked += 1
            response, found = refused(world, spec, {**body, field: OVERLONG}, 400)
            problems += found
            if not found and field not in response.json().get("errors", {}):
                problems.append(f"{spec.method} {spec.name}: 400 without naming {field}")
    assert checked > 40
    assert not problems, "\n".join(problems)


def _is_page(response: Any) -> bool:
    payload = response.json() if response["Content-Type"] == "application/json" else None
    return isinstance(payload, dict) and {"count", "next", "previous", "results"} <= set(payload)


def test_every_list_refuses_page_sizes_out_of_range_and_pages_past_the_end(world):
    problems: list[str] = []
    lists = [spec for spec in READS if _is_page(call_row(world, spec, admitted(spec), None))]
    for spec in lists:
        for query in ("page_size=0", "page_size=101", "page_size=ten"):
            response, found = refused(world, spec, None, 400, query)
            problems += found
            if not found and "page_size" not in response.json().get("errors", {}):
                problems.append(f"GET {spec.name}?{query}: 400 without naming page_size")
        problems += refused(world, spec, None, 404, "page=9999")[1]
    assert len(lists) > 20
    assert not problems, "\n".join(problems)


def _searchable(world: World, spec: Row) -> bool:
    view_function = resolve(row_url(world, spec).split("?")[0]).func
    view = getattr(view_function, "cls", None)
    initkwargs = getattr(view_function, "initkwargs", {})
    backends = initkwargs.get("filter_backends", getattr(view, "filter_backends", None)) or []
    has_search = any(issubclass(backend, SearchFilter) for backend in backends)
    return has_search and bool(getattr(view, "search_fields", None))


def test_every_search_refuses_an_overlong_query(world):
    problems: list[str] = []
    searchable = [spec for spec in READS if _searchable(world, spec)]
    for query in ("search=" + "x" * 201, "search=" + "+".join(["ab"] * 11)):
        for spec in searchable:
            response, found = refused(world, spec, None, 400, query)
            problems += found
            if not found and "search" not in response.json().get("errors", {}):
                problems.append(f"GET {spec.name}: 400 without naming search")
    assert len(searchable) > 3
    assert not problems, "\n".join(problems)
