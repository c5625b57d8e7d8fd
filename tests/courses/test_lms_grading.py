import pytest

from courses.lms.grading import Verdict, question_type, strip_html, verdict


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("<p>What is <strong>x<sup>3</sup></strong>?</p>", "What is x3?"),
        ("<p>f&#39;(3) &amp; g&nbsp;(x)</p>", "f'(3) & g\xa0(x)".replace("\xa0", " ")),
        ("<p>One</p><p>Two<br/>Three</p>", "One Two Three"),
        ("<p>Safe</p><script>alert(1)</script><style>p{}</style>", "Safe"),
        ("plain text", "plain text"),
        ("", ""),
    ],
)
def test_strip_html(html, text):
    assert strip_html(html) == text


@pytest.mark.parametrize(
    ("canvas", "kind"),
    [
        ("multiple_choice_question", "multiple_choice"),
        ("true_false_question", "true_false"),
        ("short_answer_question", "short_answer"),
        ("numerical_question", "numerical"),
        ("multiple_answers_question", "multiple_answers"),
        ("fill_in_multiple_blanks_question", "fill_in_multiple_blanks"),
        ("multiple_dropdowns_question", "multiple_dropdowns"),
        ("matching_question", "matching"),
        ("essay_question", "essay"),
        ("calculated_question", "calculated"),
        ("file_upload_question", "file_upload"),
        ("text_only_question", None),
        ("hot_spot_question", None),
        ("", None),
    ],
)
def test_question_type(canvas, kind):
    assert question_type(canvas) == kind


@pytest.mark.parametrize(
    ("kind", "points", "entry", "pending", "expected"),
    [
        # marked right or wrong by Canvas
        ("multiple_choice", 1, {"correct": True, "points": 1}, False, Verdict(True, 1.0)),
        ("multiple_choice", 1, {"correct": False, "points": 0}, False, Verdict(False, 0.0)),
        ("true_false", 1, {"correct": "false", "points": 0}, False, Verdict(False, 0.0)),
        ("short_answer", 1, {"correct": False, "points": 0}, False, Verdict(False, 0.0)),
        ("numerical", 1, {"correct": True, "points": 1}, False, Verdict(True, 1.0)),
        ("numerical", 1, {"correct": "undefined", "points": 0}, False, None),
        # answer sets: any wrong part makes the answer wrong
        ("multiple_answers", 2, {"correct": "partial", "points": 1}, False, Verdict(False, 1.0)),
        (
            "fill_in_multiple_blanks",
            2,
            {"correct": "partial", "points": 1},
            False,
            Verdict(False, 1.0),
        ),
        ("multiple_dropdowns", 2, {"correct": True, "points": 2}, False, Verdict(True, 2.0)),
        ("matching", 3, {"correct": False, "points": 0}, False, Verdict(False, 0.0)),
        # graded on credit
        ("essay", 5, {"correct": "undefined", "points": 4}, False, Verdict(False, 4.0)),
        ("essay", 5, {"correct": "undefined", "points": 5}, False, Verdict(True, 5.0)),
        ("essay", 5, {"correct": "undefined", "points": 0}, True, None),
        ("file_upload", 2, {"correct": "undefined", "points": 0}, True, None),
        ("calculated", 2, {"correct": False, "points": 1.5}, True, Verdict(False, 1.5)),
        ("calculated", 2, {"correct": True, "points": 2}, False, Verdict(True, 2.0)),
        ("calculated", 2, {"correct": True, "points": "bad"}, False, Verdict(False, 0.0)),
    ],
)
def test_verdict_by_question_type(kind, points, entry, pending, expected):
    assert verdict(kind=kind, points_possible=points, entry=entry, pending_review=pending) == (
        expected
    )
