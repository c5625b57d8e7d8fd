"""Local text handling and topic extraction; the optional LLM adapter on recorded
responses (`responses`), never the network."""

import json

import pytest
import requests
import responses as responses_module

from videos.recommendations import text, topic

LLM = "https://llm.example.com/v1"


@pytest.mark.parametrize(
    ("word", "stem"),
    [
        ("derivatives", "derivativ"),
        ("derivative", "derivativ"),
        ("differentiating", "differentiat"),
        ("differentiation", "differentiat"),
        ("integrals", "integral"),
        ("reactions", "reaction"),
        ("studies", "study"),
        ("classes", "class"),
        ("physics", "physics"),
        ("hypothesis", "hypothesis"),
        ("gas", "gas"),
    ],
)
def test_stem(word, stem):
    assert text.stem(word) == stem


def test_terms_drop_stop_words_and_teacher_phrasing():
    assert text.terms("Explain which of the following derivatives is correct, and why.") == [
        "derivativ"
    ]
    assert text.words("Newton's second law") == ["newtons", "second", "law"]


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Use the chain rule to differentiate f(x) = sin(x^2).", "chain rule"),
        ("What does a p-value of 0.03 tell you about the null hypothesis?", "null hypothesis"),
        (
            "Explain why the light-dependent reactions of photosynthesis need water.",
            "light dependent reactions",
        ),
        ("???", ""),
    ],
)
def test_local_topic(question, expected):
    result = topic.extract_local(question)
    assert (result.name, result.extractor) == (expected, "local")


def test_local_topic_keywords_are_distinct_content_words():
    result = topic.extract_local("Use the chain rule to differentiate f(x) = sin(x^2).")
    assert result.keywords == ("chain", "rule", "differentiate", "sin")


def test_without_llm_url_no_request_is_made(settings):
    settings.LLM_API_URL = ""
    with responses_module.RequestsMock() as mock:
        result = topic.extract_topic("Use the chain rule to differentiate sin(x^2).")
        assert len(mock.calls) == 0
    assert (result.name, result.extractor) == ("chain rule", "local")


def chat_completion(content: str) -> dict:
    return {
        "id": "chatcmpl-abc123",
        "object": "chat.completion",
        "created": 1763000000,
        "model": "gpt-4o-mini-2024-07-18",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 61, "completion_tokens": 4, "total_tokens": 65},
    }


def test_the_llm_adapter_asks_an_openai_compatible_endpoint(settings):
    settings.LLM_API_URL = f"{LLM}/"
    settings.LLM_API_KEY = "sk-test"
    settings.LLM_MODEL = "gpt-4o-mini"
    with responses_module.RequestsMock() as mock:
        mock.post(f"{LLM}/chat/completions", json=chat_completion('Topic: "Chain Rule".'))
        result = topic.extract_topic("Differentiate sin(x^2).", "Calculus I for engineers")
        request = mock.calls[0].request

    assert (result.name, result.extractor) == ("chain rule", "llm")
    assert result.keywords == topic.extract_local("Differentiate sin(x^2).").keywords
    assert request.headers["Authorization"] == "Bearer sk-test"
    body = json.loads(request.body)
    assert body["model"] == "gpt-4o-mini"
    assert body["temperature"] == 0
    assert body["messages"][0]["role"] == "system"
    assert body["messages"][1]["content"] == (
        "Question: Differentiate sin(x^2).\nCourse: Calculus I for engineers"
    )


@pytest.mark.parametrize(
    "reply",
    [
        {"status": 500, "json": {"error": {"message": "overloaded"}}},
        {"status": 401, "json": {"error": {"message": "Incorrect API key provided"}}},
        {"status": 200, "body": "not json"},
        {"status": 200, "json": {"choices": []}},
        {"status": 200, "json": chat_completion("   ")},
        {"body": requests.ConnectTimeout("timed out")},
    ],
)
def test_any_llm_failure_falls_back_to_the_local_topic(settings, reply):
    settings.LLM_API_URL = LLM
    with responses_module.RequestsMock() as mock:
        mock.post(f"{LLM}/chat/completions", **reply)
        result = topic.extract_topic("Use the chain rule to differentiate sin(x^2).")

    assert (result.name, result.extractor) == ("chain rule", "local")
