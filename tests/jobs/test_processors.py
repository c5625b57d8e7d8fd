import base64
import io
import json

import pytest
import requests
import responses
from django.core.files.storage import default_storage
from PIL import Image

from jobs.processors import ProcessorError, TransientError
from jobs.processors.base import JobSpec
from jobs.processors.provider import ImageProcessor, VideoProcessor, call
from jobs.processors.script_analysis import ScriptAnalysisProcessor, analyse
from jobs.processors.subtitles import SubtitleProcessor, build_cues, timestamp, to_srt
from jobs.processors.thumbnail import ThumbnailProcessor
from tests.jobs.factories import SCRIPT

PROVIDER = "https://ai.example/v1"


def spec(job_type="script_analysis", parameters=None, script=SCRIPT, **fields):
    return JobSpec(
        job_id=7,
        job_type=job_type,
        parameters=parameters or {},
        title=fields.get("title", "The Walk"),
        script=script,
        style=fields.get("style", "anime"),
        target_duration=60,
    )


class Progress:
    def __init__(self):
        self.reports = []

    def __call__(self, percent):
        self.reports.append(percent)


def test_script_analysis_finds_scenes_characters_words_and_runtime():
    assert analyse(SCRIPT, words_per_minute=150) == {
        "word_count": 29,
        "scene_count": 2,
        "scenes": [
            {
                "index": 1,
                "heading": "INT. KITCHEN - NIGHT",
                "word_count": 13,
                "estimated_seconds": 6,
            },
            {"index": 2, "heading": "EXT. PARK - DAY", "word_count": 10, "estimated_seconds": 4},
        ],
        "characters": [{"name": "ALICE", "lines": 2}, {"name": "BOB", "lines": 1}],
        "estimated_runtime_seconds": 12,
    }


def test_a_script_without_headings_is_split_at_blank_lines():
    result = analyse("A quiet morning.\n\nThe sun rises over the hills.", words_per_minute=120)
    assert [(s["heading"], s["word_count"]) for s in result["scenes"]] == [("", 3), ("", 6)]
    assert result["characters"] == []
    assert result["estimated_runtime_seconds"] == 5  # 9 words at 120 a minute, rounded up


def test_script_analysis_reports_progress():
    progress = Progress()
    result = ScriptAnalysisProcessor().process(spec(parameters={"words_per_minute": 100}), progress)
    assert progress.reports == [10, 100]
    assert result["estimated_runtime_seconds"] == 18


def test_subtitles_are_timed_from_the_script():
    cues = build_cues(SCRIPT, words_per_minute=150, max_chars_per_line=42)
    assert to_srt(cues) == (
        "1\n00:00:00,000 --> 00:00:01,200\nWhere were you?\n\n"
        "2\n00:00:01,200 --> 00:00:02,200\nOut.\n\n"
        "3\n00:00:02,200 --> 00:00:03,400\nWalking the dog.\n\n"
        "4\n00:00:03,400 --> 00:00:05,800\nThe dog runs across the grass.\n\n"
        "5\n00:00:05,800 --> 00:00:07,000\nHe looks happy.\n"
    )


def test_long_sentences_wrap_two_lines_a_cue():
    script = "one two three four five six seven eight nine ten eleven twelve."
    cues = build_cues(script, words_per_minute=60, max_chars_per_line=20)
    assert [(c.start_ms, c.end_ms, c.text) for c in cues] == [
        (0, 8000, "one two three four\nfive six seven eight"),
        (8000, 12000, "nine ten eleven\ntwelve."),
    ]


def test_timestamps_count_hours():
    assert timestamp(3_723_004) == "01:02:03,004"


def test_subtitle_processor_stores_the_srt():
    result = SubtitleProcessor().process(spec(), Progress())
    assert result["subtitles"]["path"] == "jobs/7/subtitles.srt"
    assert result["subtitles"]["url"] == "/media/jobs/7/subtitles.srt"
    assert result["subtitles"]["content_type"] == "application/x-subrip"
    assert (result["cue_count"], result["duration_ms"]) == (5, 7000)
    stored = default_storage.open("jobs/7/subtitles.srt").read().decode()
    assert stored.startswith("1\n00:00:00,000 --> 00:00:01,200\nWhere were you?\n")


def test_a_second_run_replaces_the_file_instead_of_adding_one():
    first = SubtitleProcessor().process(spec(), Progress())
    second = SubtitleProcessor().process(spec(script="Hello."), Progress())
    assert first["subtitles"]["path"] == second["subtitles"]["path"]
    assert default_storage.open("jobs/7/subtitles.srt").read().decode().endswith("Hello.\n")


@pytest.mark.parametrize(
    "style", ["cinematic", "anime", "documentary", "cartoon", "photorealistic"]
)
def test_thumbnail_is_a_valid_png_of_the_asked_size(style):
    progress = Progress()
    result = ThumbnailProcessor().process(
        spec(parameters={"width": 640, "height": 360, "text": ""}, style=style), progress
    )
    assert progress.reports == [10, 70, 100]
    content = default_storage.open(result["thumbnail"]["path"]).read()
    assert content.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(content))
    image.verify()
    image = Image.open(io.BytesIO(content))
    assert (image.format, image.size, image.mode) == ("PNG", (640, 360), "RGB")
    assert result["thumbnail"]["size"] == len(content)
    # the gradient runs from the style's top colour to its bottom colour
    assert image.getpixel((0, 0)) != image.getpixel((0, 359))


# --- the provider adapter -----------------------------------------------------------------


@pytest.fixture
def provider(settings):
    settings.JOBS_AI_PROVIDER_URL = PROVIDER
    settings.JOBS_AI_PROVIDER_TOKEN = "secret-token"
    with responses.RequestsMock() as mock:
        yield mock


def file(name, content=b"\x89PNG fake", content_type="image/png"):
    return {
        "name": name,
        "content_type": content_type,
        "content_base64": base64.b64encode(content).decode(),
    }


def test_provider_calls_carry_the_job_and_the_token(provider):
    provider.add(responses.POST, f"{PROVIDER}/image_generation", json={"files": [file("a.png")]})
    progress = Progress()
    result = ImageProcessor().process(
        spec("image_generation", {"count": 2, "prompt": "", "size": "512x512"}), progress
    )
    assert progress.reports == [0, 50, 100]
    first = provider.calls[0].request
    assert first.headers["Authorization"] == "Bearer secret-token"
    assert json.loads(first.body) == {
        "job_id": 7,
        "job_type": "image_generation",
        "parameters": {"count": 2, "prompt": "", "size": "512x512"},
        "project": {"title": "The Walk", "script": SCRIPT, "style": "anime", "target_duration": 60},
        "inputs": {},
        "index": 0,
    }
    assert json.loads(provider.calls[1].request.body)["index"] == 1
    assert [image["path"] for image in result["images"]] == [
        "jobs/7/image-1-a.png",
        "jobs/7/image-2-a.png",
    ]
    assert default_storage.open("jobs/7/image-1-a.png").read() == b"\x89PNG fake"


@pytest.mark.parametrize("status", [429, 500, 502, 503])
def test_provider_overload_and_server_errors_are_transient(provider, status):
    provider.add(responses.POST, f"{PROVIDER}/video_composition", status=status)
    with pytest.raises(TransientError, match=str(status)):
        call(spec("video_composition"))


def test_provider_network_errors_are_transient(provider):
    provider.add(
        responses.POST, f"{PROVIDER}/video_composition", body=requests.ConnectionError("reset")
    )
    with pytest.raises(TransientError, match="Could not reach the AI provider"):
        call(spec("video_composition"))


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ({"status": 400, "body": "prompt rejected"}, r"refused the job \(400\): prompt rejected"),
        ({"status": 200, "body": "not json"}, "invalid JSON"),
        ({"status": 200, "json": {"files": "nope"}}, "no file list"),
        ({"status": 200, "json": {"files": [file("../../etc/passwd")]}}, "unsafe file name"),
        (
            {"status": 200, "json": {"files": [{"name": "a.mp4", "content_base64": "%%%"}]}},
            "undecodable",
        ),
        ({"status": 200, "json": {"files": []}}, "no video"),
    ],
)
def test_provider_refusals_and_bad_answers_are_final(provider, answer, message):
    provider.add(responses.POST, f"{PROVIDER}/video_composition", **answer)
    with pytest.raises(ProcessorError, match=message):
        VideoProcessor().process(spec("video_composition"), Progress())


def test_unconfigured_provider_is_a_final_error(settings):
    settings.JOBS_AI_PROVIDER_URL = ""
    with pytest.raises(ProcessorError, match="not configured"):
        call(spec("voice_synthesis"))
