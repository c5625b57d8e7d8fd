"""Recorded Canvas responses (tests/courses/data/canvas) served by `responses`, and the
platform side of a linked course. Nothing here reaches the network or DNS: the Canvas
host resolves through a replaced resolver to a documentation-range public address."""

import json
from pathlib import Path

from responses import matchers

DATA = Path(__file__).resolve().parent / "data" / "canvas"
HOST = "canvas.example.edu"
BASE = f"https://{HOST}"
LMS_COURSE = "4821"
PUBLIC_ADDRESS = "93.184.216.34"


def recorded(name: str):
    return json.loads((DATA / f"{name}.json").read_text())


def link(path: str, page: int, last: int) -> str:
    """A Canvas Link header for page `page` of `last`."""
    parts = [f'<{BASE}{path}?page={page + 1}&per_page=100>; rel="next"'] if page < last else []
    parts.append(f'<{BASE}{path}?page=1&per_page=100>; rel="first"')
    parts.append(f'<{BASE}{path}?page={last}&per_page=100>; rel="last"')
    return ", ".join(parts)


def add_pages(mock, path: str, pages: list, extra_params: dict | None = None) -> None:
    """Register a paginated list: page 1 with the client's own query, later pages as the
    Link header names them."""
    for number, body in enumerate(pages, start=1):
        params = (
            {"per_page": "100", **(extra_params or {})}
            if number == 1
            else {
                "page": str(number),
                "per_page": "100",
            }
        )
        mock.get(
            f"{BASE}{path}",
            json=body,
            headers={"Link": link(path, number, len(pages))},
            match=[matchers.query_param_matcher(params)],
        )


def add_course(mock) -> None:
    """The whole recorded course: quizzes (two pages), questions of the two quizzes a sync
    reads, and the submissions of quiz 101's assignment (two pages)."""
    course = f"/api/v1/courses/{LMS_COURSE}"
    add_pages(mock, f"{course}/quizzes", [recorded("quizzes_page1"), recorded("quizzes_page2")])
    add_pages(mock, f"{course}/quizzes/101/questions", [recorded("quiz_101_questions")])
    add_pages(mock, f"{course}/quizzes/105/questions", [recorded("quiz_105_questions")])
    add_pages(
        mock,
        f"{course}/assignments/9101/submissions",
        [
            recorded("assignment_9101_submissions_page1"),
            recorded("assignment_9101_submissions_page2"),
        ],
        {"include[]": "submission_history"},
    )
