"""A question's core topic: a short phrase ("chain rule", "light reactions of
photosynthesis") used to search for videos, to explain recommendations, and to reuse work
between questions that test the same thing.

By default it is extracted locally (RAKE: phrases between stop words, scored by how
connected their words are). When `LLM_API_URL` is set, an OpenAI-compatible chat endpoint
is asked first; any failure of that call falls back to the local extraction."""

import logging
import re
from collections import defaultdict
from dataclasses import dataclass

import requests
from django.conf import settings

from videos.recommendations import text as text_module

logger = logging.getLogger(__name__)

SPLIT_PATTERN = re.compile(r"[.,;:!?()\[\]{}\"\u201c\u201d/\\|=<>+*^\u2026\u2013\u2014-]+|\s+")
MAX_PHRASE_WORDS = 4
MAX_TOPIC_LENGTH = 80
LLM_SYSTEM_PROMPT = (
    "You name the single core topic a quiz question tests, the way a teacher would title a "
    "lesson on it, in 2 to 5 words. Answer with the topic only: no punctuation, no quotes."
)


@dataclass(frozen=True)
class TopicResult:
    name: str
    keywords: tuple[str, ...]
    extractor: str


def _phrases(text: str) -> list[list[str]]:
    """Runs of content words, split at stop words and punctuation."""
    phrases: list[list[str]] = []
    current: list[str] = []
    for token in SPLIT_PATTERN.split(text.lower()):
        if not token:
            if current:
                phrases.append(current)
                current = []
            continue
        for word in text_module.words(token):
            if word in text_module.STOP_WORDS or len(word) < 2 or word.isdigit():
                if current:
                    phrases.append(current)
                current = []
            else:
                current.append(word)
    if current:
        phrases.append(current)
    return phrases


def _word_scores(phrases: list[list[str]]) -> dict[str, float]:
    """RAKE's degree/frequency, by stem so that inflections count together."""
    frequency: dict[str, int] = defaultdict(int)
    degree: dict[str, int] = defaultdict(int)
    for phrase in phrases:
        for word in phrase:
            key = text_module.stem(word)
            frequency[key] += 1
            degree[key] += len(phrase)
    return {key: degree[key] / frequency[key] for key in frequency}


def _best_window(phrase: list[str], scores: dict[str, float]) -> tuple[float, list[str]]:
    """The highest scoring run of at most MAX_PHRASE_WORDS words of a phrase."""
    best: tuple[float, list[str]] = (0.0, [])
    size = min(len(phrase), MAX_PHRASE_WORDS)
    for start in range(len(phrase) - size + 1):
        window = phrase[start : start + size]
        score = sum(scores[text_module.stem(word)] for word in window)
        if score > best[0]:
            best = (score, window)
    return best


def extract_local(question: str) -> TopicResult:
    """The top RAKE phrase of the question (at most four words) and its best keywords."""
    phrases = _phrases(question)
    if not phrases:
        fallback = " ".join(text_module.words(question)[:MAX_PHRASE_WORDS])
        return TopicResult(name=fallback[:MAX_TOPIC_LENGTH], keywords=(), extractor="local")
    scores = _word_scores(phrases)
    candidates = [_best_window(phrase, scores) for phrase in phrases]
    # Best score first; on ties the earlier phrase (questions state the subject early).
    _, words = max(enumerate(candidates), key=lambda item: (item[1][0], -item[0]))[1]
    keywords: list[str] = []
    for word in sorted(
        {word for phrase in phrases for word in phrase},
        key=lambda word: (-scores[text_module.stem(word)], word),
    ):
        if text_module.stem(word) not in {text_module.stem(kept) for kept in keywords}:
            keywords.append(word)
    return TopicResult(
        name=" ".join(words)[:MAX_TOPIC_LENGTH], keywords=tuple(keywords[:6]), extractor="local"
    )


def _clean_llm_answer(answer: str) -> str:
    line = next((line for line in answer.strip().splitlines() if line.strip()), "")
    line = re.sub(r"^(topic|core topic)\s*:\s*", "", line.strip(), flags=re.IGNORECASE)
    return line.strip(" \t\"'`.*#-").lower()[:MAX_TOPIC_LENGTH]


def extract_llm(question: str, context: str = "") -> str | None:
    """The topic named by the configured OpenAI-compatible endpoint, or None when it is not
    configured or the call fails (logged)."""
    base_url = settings.LLM_API_URL.rstrip("/")
    if not base_url:
        return None
    prompt = f"Question: {question}"
    if context:
        prompt += f"\nCourse: {context[:500]}"
    headers = {"Content-Type": "application/json"}
    if settings.LLM_API_KEY:
        headers["Authorization"] = f"Bearer {settings.LLM_API_KEY}"
    try:
        response = requests.post(
            f"{base_url}/chat/completions",
            json={
                "model": settings.LLM_MODEL,
                "messages": [
                    {"role": "system", "content": LLM_SYSTEM_PROMPT},
                    {"role": "user", "content": prompt},
                ],
                "temperature": 0,
                "max_tokens": 24,
            },
            headers=headers,
            timeout=settings.LLM_TIMEOUT,
        )
        response.raise_for_status()
        answer = response.json()["choices"][0]["message"]["content"]
    except (requests.RequestException, ValueError, KeyError, IndexError, TypeError) as exc:
        logger.warning("topic extraction by the LLM endpoint failed: %s", exc)
        return None
    topic = _clean_llm_answer(str(answer))
    return topic or None


def extract_topic(question: str, context: str = "") -> TopicResult:
    """The LLM's topic when configured and answering, else the local one; the keywords are
    always the local ones."""
    local = extract_local(question)
    named = extract_llm(question, context)
    if named:
        return TopicResult(name=named, keywords=local.keywords, extractor="llm")
    return local
