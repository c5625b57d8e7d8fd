"""Reads of recommendations, for the API. Each function runs a fixed number of queries
whatever the number of questions: the questions (through `courses.selectors`), their
states with topics, and their videos."""

from collections import defaultdict
from typing import Any

from courses import selectors as course_selectors
from videos.models import QuestionRecommendation, QuestionVideo


def videos_by_question(*, question_ids: list[int]) -> dict[int, list[QuestionVideo]]:
    """Each question's recommended videos in rank order (one query). A course video that
    became unavailable is left out until the next refresh replaces it."""
    rows: dict[int, list[QuestionVideo]] = defaultdict(list)
    recommended = (
        QuestionVideo.objects.filter(question_id__in=question_ids)
        .exclude(source=QuestionVideo.Source.COURSE, video__is_available=False)
        .order_by("question_id", "rank")
    )
    for row in recommended:
        rows[row.question_id].append(row)
    return rows


def states_by_question(*, question_ids: list[int]) -> dict[int, QuestionRecommendation]:
    """Each question's recommendation state with its topic (one query)."""
    return {
        state.question_id: state
        for state in QuestionRecommendation.objects.filter(
            question_id__in=question_ids
        ).select_related("topic")
    }


def _question_item(question: Any, state: QuestionRecommendation | None) -> dict[str, Any]:
    return {
        "question_id": question.pk,
        "quiz_id": question.quiz_id,
        "quiz_title": question.quiz.title,
        "question_text": question.text,
        "question_type": question.question_type,
        "points_possible": question.points_possible,
        "topic": state.topic.name if state is not None and state.topic is not None else None,
        "refreshed_at": state.refreshed_at if state is not None else None,
    }


def question_items(*, questions: list[Any]) -> list[dict[str, Any]]:
    """Questions (with their quiz loaded) with topic and videos, for instructors."""
    ids = [question.pk for question in questions]
    states = states_by_question(question_ids=ids)
    videos = videos_by_question(question_ids=ids)
    return [
        {**_question_item(question, states.get(question.pk)), "videos": videos[question.pk]}
        for question in questions
    ]


def assessment_items(*, course_id: int, user_id: int) -> list[dict[str, Any]]:
    """The user's wrong questions in the course, each with quiz, text, topic and videos,
    in quiz then question order. No video appears twice: a video already shown for an
    earlier question is left out of later ones. Three queries."""
    answers = list(course_selectors.wrong_answers(course_id=course_id, user_id=user_id))
    ids = [answer.question_id for answer in answers]
    states = states_by_question(question_ids=ids)
    videos = videos_by_question(question_ids=ids)
    shown: set[str] = set()
    items = []
    for answer in answers:
        question = answer.question
        fresh = [row for row in videos[question.pk] if row.youtube_id not in shown]
        shown.update(row.youtube_id for row in fresh)
        items.append(
            {
                **_question_item(question, states.get(question.pk)),
                "score": answer.score,
                "answered_at": answer.answered_at,
                "videos": fresh,
            }
        )
    return items
