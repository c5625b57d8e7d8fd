"""Offline quality measurement: hit@1 and hit@3 of a ranker on a labelled set of questions
and videos (`tests/videos/data/remediation_eval.json`). Every question is ranked against
every video of every course, with its own course's context, as a refresh would rank it
(local topic extraction, so that the figures do not depend on an LLM)."""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings

from videos.recommendations.rankers import Document, Query, Ranker
from videos.recommendations.topic import extract_local

DEFAULT_EVAL_FILE = Path(settings.BASE_DIR) / "tests" / "videos" / "data" / "remediation_eval.json"


@dataclass(frozen=True)
class Miss:
    question_id: str
    expected: tuple[str, ...]
    ranked: tuple[str, ...]


@dataclass(frozen=True)
class EvaluationResult:
    ranker: str
    questions: int
    hit_at_1: float
    hit_at_3: float
    misses: tuple[Miss, ...]


def load(path: Path = DEFAULT_EVAL_FILE) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(Path(path).read_text())
    return data


def evaluate(ranker: Ranker, data: dict[str, Any]) -> EvaluationResult:
    contexts = {course["id"]: course["context"] for course in data["courses"]}
    documents = [
        Document(key=video["id"], title=video["title"], description=video["description"])
        for video in data["videos"]
    ]
    if hasattr(ranker, "embed_documents"):
        documents = [
            Document(
                key=document.key,
                title=document.title,
                description=document.description,
                embedding=embedding,
            )
            for document, embedding in zip(
                documents, ranker.embed_documents(documents), strict=True
            )
        ]
    hits_1 = hits_3 = 0
    misses: list[Miss] = []
    for question in data["questions"]:
        query = Query(
            question=question["text"],
            topic=extract_local(question["text"]).name,
            context=contexts[question["course"]],
        )
        ranked = [scored.document.key for scored in ranker.rank(query, documents)[:3]]
        expected = set(question["expected"])
        hits_1 += bool(expected & set(ranked[:1]))
        hits_3 += bool(expected & set(ranked[:3]))
        if not expected & set(ranked[:1]):
            misses.append(
                Miss(
                    question_id=question["id"],
                    expected=tuple(sorted(expected)),
                    ranked=tuple(ranked),
                )
            )
    total = len(data["questions"])
    return EvaluationResult(
        ranker=ranker.name,
        questions=total,
        hit_at_1=hits_1 / total if total else 0.0,
        hit_at_3=hits_3 / total if total else 0.0,
        misses=tuple(misses),
    )
