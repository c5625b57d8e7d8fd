"""Full generation: every step of a film in order, one job, one combined progress.

Each step gets its own parameters (taken from the full generation's) and the results of
the steps before it (`inputs`). Progress runs 0-100 over all steps, each step an equal
share; the owner's cancel is honoured between steps (and wherever a step reports)."""

from typing import Any

from jobs import parameters as job_parameters
from jobs.models import Job
from jobs.processors.base import JobSpec, Progress

T = Job.Type
STEPS: tuple[str, ...] = (
    T.SCRIPT_ANALYSIS,
    T.IMAGE_GENERATION,
    T.VOICE_SYNTHESIS,
    T.VIDEO_COMPOSITION,
    T.SUBTITLE_GENERATION,
    T.THUMBNAIL_GENERATION,
)


def step_parameters(step: str, options: dict[str, Any]) -> dict[str, Any]:
    """The parameters of one step, from the full generation's, defaults filled in."""
    wanted: dict[str, dict[str, Any]] = {
        T.SCRIPT_ANALYSIS: {"words_per_minute": options.get("words_per_minute", 150)},
        T.IMAGE_GENERATION: {"count": options.get("image_count", 4)},
        T.VOICE_SYNTHESIS: {
            "voice": options.get("voice", "narrator"),
            "language": options.get("language", "en"),
        },
        T.VIDEO_COMPOSITION: {
            "resolution": options.get("resolution", "1080p"),
            "fps": options.get("fps", 24),
        },
        T.SUBTITLE_GENERATION: {"words_per_minute": options.get("words_per_minute", 150)},
        T.THUMBNAIL_GENERATION: {},
    }
    return job_parameters.validate_parameters(step, wanted[step])


def scaled(progress: Progress, index: int, count: int) -> Progress:
    """A step's 0-100 mapped onto its share of the whole."""

    def report(percent: int) -> None:
        progress((index * 100 + max(0, min(100, percent))) // count)

    return report


class FullGenerationProcessor:
    def process(self, job: JobSpec, progress: Progress) -> dict[str, Any]:
        from jobs.processors import processor_for

        results: dict[str, Any] = {}
        for index, step in enumerate(STEPS):
            spec = job.for_step(step, step_parameters(step, job.parameters), dict(results))
            step_progress = scaled(progress, index, len(STEPS))
            step_progress(0)
            results[step] = processor_for(step).process(spec, step_progress)
        progress(100)
        return {
            "steps": results,
            "analysis": results[T.SCRIPT_ANALYSIS],
            "video": results[T.VIDEO_COMPOSITION]["video"],
            "subtitles": results[T.SUBTITLE_GENERATION]["subtitles"],
            "thumbnail": results[T.THUMBNAIL_GENERATION]["thumbnail"],
        }
