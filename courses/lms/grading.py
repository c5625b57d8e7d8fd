"""What counts as a wrong answer, by question type, from one entry of Canvas's
`submission_data` (`{"question_id", "correct", "points", ...}`).

- Choice, true/false, short answer and numerical questions: wrong when Canvas marked the
  answer incorrect (`correct` false).
- Multiple answers, fill-in-multiple-blanks, dropdowns and matching: wrong when any part of
  the answer set is wrong (`correct` false or "partial").
- Essays, file uploads and calculated questions: wrong when graded below full credit. An
  essay or upload nobody graded yet has no verdict and is skipped."""

import re
from dataclasses import dataclass
from html import unescape
from typing import Any

MARKED_TYPES = frozenset({"multiple_choice", "true_false", "short_answer", "numerical"})
ANSWER_SET_TYPES = frozenset(
    {"multiple_answers", "fill_in_multiple_blanks", "multiple_dropdowns", "matching"}
)
CREDIT_TYPES = frozenset({"essay", "file_upload", "calculated"})
MANUALLY_GRADED_TYPES = frozenset({"essay", "file_upload"})
# Canvas names its question types "<type>_question"; text-only items have no answers.
SKIPPED_TYPES = frozenset({"text_only"})
FULL_CREDIT_TOLERANCE = 1e-6

TAG_PATTERN = re.compile(r"<[^>]*>")
BLOCK_TAG_PATTERN = re.compile(r"<\s*(br|/p|/div|/li|/h[1-6]|/tr)\b[^>]*>", re.IGNORECASE)
SCRIPT_PATTERN = re.compile(r"<(script|style)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
SPACE_PATTERN = re.compile(r"\s+")


def strip_html(html: str) -> str:
    """Plain text of a question's HTML: tags dropped, entities decoded, whitespace folded."""
    text = SCRIPT_PATTERN.sub(" ", html or "")
    text = BLOCK_TAG_PATTERN.sub(" ", text)
    text = TAG_PATTERN.sub("", text)
    return SPACE_PATTERN.sub(" ", unescape(text)).strip()


def question_type(canvas_type: str) -> str | None:
    """Canvas's `multiple_choice_question` as `multiple_choice`; None for a type the
    platform does not grade (text-only items, unknown types)."""
    name = (canvas_type or "").removesuffix("_question")
    if name in SKIPPED_TYPES:
        return None
    if name in MARKED_TYPES | ANSWER_SET_TYPES | CREDIT_TYPES:
        return name
    return None


@dataclass(frozen=True)
class Verdict:
    is_correct: bool
    score: float


def _as_float(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def verdict(
    *, kind: str, points_possible: float, entry: dict[str, Any], pending_review: bool
) -> Verdict | None:
    """The verdict on one answer, or None when there is none yet (ungraded essay)."""
    correct = entry.get("correct")
    score = _as_float(entry.get("points"))
    if kind in MARKED_TYPES:
        if correct is True or correct == "true":
            return Verdict(is_correct=True, score=score)
        if correct is False or correct == "false":
            return Verdict(is_correct=False, score=score)
        return None
    if kind in ANSWER_SET_TYPES:
        if correct is True or correct == "true":
            return Verdict(is_correct=True, score=score)
        if correct in (False, "false", "partial"):
            return Verdict(is_correct=False, score=score)
        return None
    if kind in CREDIT_TYPES:
        if kind in MANUALLY_GRADED_TYPES and pending_review and correct in ("undefined", None):
            return None
        return Verdict(is_correct=score >= points_possible - FULL_CREDIT_TOLERANCE, score=score)
    return None
