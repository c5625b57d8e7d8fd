"""Subtitle generation, offline: an SRT file timed from the script.

The spoken text is every line that is not a scene heading, a character cue or a
transition. It is cut into sentences, each wrapped at `max_chars_per_line`, two lines per
cue. A cue lasts as long as its words take at `words_per_minute` (at least one second);
cues follow each other from 0:00."""

import re
import textwrap
from dataclasses import dataclass
from typing import Any

from jobs.processors.base import JobSpec, Progress, save_file
from jobs.processors.script_analysis import CUE, HEADING, TRANSITION, count_words

MIN_CUE_MS = 1000
LINES_PER_CUE = 2
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


@dataclass(frozen=True)
class Cue:
    start_ms: int
    end_ms: int
    text: str


def spoken_text(script: str) -> str:
    lines = []
    for line in script.splitlines():
        if not line.strip() or HEADING.match(line) or TRANSITION.match(line) or CUE.match(line):
            continue
        lines.append(line.strip())
    return " ".join(lines)


def build_cues(script: str, *, words_per_minute: int, max_chars_per_line: int) -> list[Cue]:
    cues: list[Cue] = []
    start = 0
    for sentence in SENTENCE_END.split(spoken_text(script)):
        wrapped = textwrap.wrap(sentence, max_chars_per_line)
        for first in range(0, len(wrapped), LINES_PER_CUE):
            lines = wrapped[first : first + LINES_PER_CUE]
            duration = max(
                MIN_CUE_MS, round(count_words(" ".join(lines)) * 60_000 / words_per_minute)
            )
            cues.append(Cue(start_ms=start, end_ms=start + duration, text="\n".join(lines)))
            start += duration
    return cues


def timestamp(ms: int) -> str:
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d},{millis:03d}"


def to_srt(cues: list[Cue]) -> str:
    blocks = [
        f"{number}\n{timestamp(cue.start_ms)} --> {timestamp(cue.end_ms)}\n{cue.text}\n"
        for number, cue in enumerate(cues, start=1)
    ]
    return "\n".join(blocks)


class SubtitleProcessor:
    def process(self, job: JobSpec, progress: Progress) -> dict[str, Any]:
        progress(10)
        cues = build_cues(
            job.script,
            words_per_minute=job.parameters.get("words_per_minute", 150),
            max_chars_per_line=job.parameters.get("max_chars_per_line", 42),
        )
        progress(60)
        subtitles = save_file(job, "subtitles.srt", to_srt(cues).encode(), "application/x-subrip")
        progress(100)
        return {
            "subtitles": subtitles,
            "cue_count": len(cues),
            "duration_ms": cues[-1].end_ms if cues else 0,
        }
