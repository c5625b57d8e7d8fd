"""Ranked text search over model fields, the same call on both databases.

PostgreSQL: full-text search (`websearch_to_tsquery`, English stemming) ranked with
`ts_rank` over a weighted vector. The apps create a GIN index on exactly the expression
`weighted_vector()` builds (in a PostgreSQL-only migration), so the match is served by it.
SQLite: every word of the query must occur (case-insensitive substring) in one of the
fields; the score adds each field's weight for each word it contains, with the weights
PostgreSQL's ts_rank uses by default (A 1.0, B 0.4, C 0.2, D 0.1)."""

import re
from dataclasses import dataclass
from functools import reduce
from operator import add, and_, or_
from typing import TypeVar, cast

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import Case, F, FloatField, Model, Q, QuerySet, Value, When

M = TypeVar("M", bound=Model)

SEARCH_CONFIG = "english"
MAX_QUERY_LENGTH = 200
MAX_TERMS = 10
WEIGHT_VALUES = {"A": 1.0, "B": 0.4, "C": 0.2, "D": 0.1}
SNIPPET_LENGTH = 160


def uses_full_text_search() -> bool:
    return connection.vendor == "postgresql"


def search_terms(query: str) -> list[str]:
    """The words of a query, lower-cased, without duplicates, at most MAX_TERMS."""
    words = [word.lower() for word in re.findall(r"\w+", query)]
    return list(dict.fromkeys(words))[:MAX_TERMS]


def weighted_vector(weights: dict[str, str]) -> SearchVector:
    """`{"title": "A", ...}` → setweight(to_tsvector(...), 'A') || ... in this order."""
    vectors = [
        SearchVector(field, weight=weight, config=SEARCH_CONFIG)
        for field, weight in weights.items()
    ]
    return reduce(add, vectors)


def ranked(queryset: QuerySet[M], *, weights: dict[str, str], query: str) -> QuerySet[M]:
    """The rows of `queryset` matching `query`, annotated with a float `score` and ordered
    best first (ties by id)."""
    if uses_full_text_search():
        vector = weighted_vector(weights)
        search_query = SearchQuery(query, search_type="websearch", config=SEARCH_CONFIG)
        return (
            queryset.alias(search_document=vector)
            .filter(search_document=search_query)
            .annotate(score=SearchRank(vector, search_query))
            .order_by("-score", "id")
        )
    terms = search_terms(query)
    if not terms:
        return queryset.none()
    matches = [
        reduce(or_, [Q(**{f"{field}__icontains": term}) for field in weights]) for term in terms
    ]
    score = reduce(
        add,
        [
            Case(
                When(**{f"{field}__icontains": term}, then=Value(WEIGHT_VALUES[weight])),
                default=Value(0.0),
                output_field=FloatField(),
            )
            for term in terms
            for field, weight in weights.items()
        ],
    )
    scored = queryset.filter(reduce(and_, matches)).annotate(score=score)
    return cast("QuerySet[M]", scored.order_by(F("score").desc(), "id"))


def snippet(texts: list[str], query: str, length: int = SNIPPET_LENGTH) -> str:
    """A short excerpt around the first word of the query found in `texts` (in order), or
    the start of the first non-empty text. Whitespace is collapsed."""
    terms = search_terms(query)
    flats = [" ".join(text.split()) for text in texts]
    for flat in flats:
        lowered = flat.lower()
        for term in terms:
            found = lowered.find(term)
            if found >= 0:
                return _excerpt(flat, max(0, found - length // 4), length)
    return _excerpt(next((flat for flat in flats if flat), ""), 0, length)


def _excerpt(flat: str, start: int, length: int) -> str:
    piece = flat[start : start + length].strip()
    prefix = "…" if start > 0 else ""
    suffix = "…" if start + length < len(flat) else ""
    return f"{prefix}{piece}{suffix}"


@dataclass(frozen=True)
class SearchHit:
    """One typed search result."""

    type: str
    id: int
    course_id: int
    title: str
    snippet: str
    score: float
