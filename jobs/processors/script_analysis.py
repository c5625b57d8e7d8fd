"""Script analysis, offline: scenes, characters, word count and estimated runtime.

Scenes start at screenplay scene headings (`INT.`, `EXT.`, `INT./EXT.`, `SCENE ...`); a
script without headings is split at blank lines. Characters are screenplay cues: a line in
capitals (optionally followed by an extension such as `(V.O.)`) that is not a heading or
a transition."""

import re
from dataclasses import dataclass, field
from typing import Any

from jobs.processors.base import JobSpec, Progress

HEADING = re.compile(r"^\s*(?:INT\./EXT\.|INT\.|EXT\.|I/E\.|SCENE\b)", re.IGNORECASE)
CUE = re.compile(r"^\s*([A-Z][A-Z0-9 .'\-]{0,28}[A-Z0-9])\s*(?:\([^)]*\))?\s*$")
TRANSITION = re.compile(r"^\s*(?:[A-Z ]+ TO:|FADE (?:IN|OUT)[.:]?|THE END)\s*$")
WORD = re.compile(r"[\w']+")


@dataclass
class Scene:
    heading: str
    lines: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def count_words(text: str) -> int:
    return len(WORD.findall(text))


def split_scenes(script: str) -> list[Scene]:
    lines = script.splitlines()
    if any(HEADING.match(line) for line in lines):
        scenes: list[Scene] = []
        for line in lines:
            if HEADING.match(line):
                scenes.append(Scene(heading=line.strip()))
            elif scenes:
                scenes[-1].lines.append(line)
            elif line.strip():
                scenes.append(Scene(heading="", lines=[line]))
        return scenes
    blocks = [block.strip() for block in re.split(r"\n\s*\n", script) if block.strip()]
    return [Scene(heading="", lines=block.splitlines()) for block in blocks]


def find_characters(script: str) -> dict[str, int]:
    """Character name → number of lines of dialogue (cues), in order of first appearance."""
    characters: dict[str, int] = {}
    for line in script.splitlines():
        if HEADING.match(line) or TRANSITION.match(line):
            continue
        match = CUE.match(line)
        if match:
            name = match.group(1).strip()
            characters[name] = characters.get(name, 0) + 1
    return characters


def estimated_runtime(words: int, words_per_minute: int) -> int:
    """Seconds to speak `words` at `words_per_minute`, rounded up."""
    return -(-words * 60 // words_per_minute) if words else 0


def analyse(script: str, words_per_minute: int) -> dict[str, Any]:
    scenes = split_scenes(script)
    words = count_words(script)
    return {
        "word_count": words,
        "scene_count": len(scenes),
        "scenes": [
            {
                "index": index,
                "heading": scene.heading,
                "word_count": count_words(scene.text),
                "estimated_seconds": estimated_runtime(count_words(scene.text), words_per_minute),
            }
            for index, scene in enumerate(scenes, start=1)
        ],
        "characters": [
            {"name": name, "lines": lines} for name, lines in find_characters(script).items()
        ],
        "estimated_runtime_seconds": estimated_runtime(words, words_per_minute),
    }


class ScriptAnalysisProcessor:
    def process(self, job: JobSpec, progress: Progress) -> dict[str, Any]:
        progress(10)
        result = analyse(job.script, job.parameters.get("words_per_minute", 150))
        progress(100)
        return result
