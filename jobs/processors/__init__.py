"""The registry: one processor per job type. A processor has one method,
`process(job, progress)`, that does the work and returns the job's result; see `base`."""

from jobs.models import Job
from jobs.processors.base import (
    JobCancelled,
    JobSpec,
    JobSuperseded,
    Processor,
    ProcessorError,
    Progress,
    TransientError,
)
from jobs.processors.full_generation import FullGenerationProcessor
from jobs.processors.provider import ImageProcessor, VideoProcessor, VoiceProcessor
from jobs.processors.script_analysis import ScriptAnalysisProcessor
from jobs.processors.subtitles import SubtitleProcessor
from jobs.processors.thumbnail import ThumbnailProcessor

T = Job.Type

PROCESSORS: dict[str, Processor] = {
    T.SCRIPT_ANALYSIS: ScriptAnalysisProcessor(),
    T.IMAGE_GENERATION: ImageProcessor(),
    T.VOICE_SYNTHESIS: VoiceProcessor(),
    T.VIDEO_COMPOSITION: VideoProcessor(),
    T.SUBTITLE_GENERATION: SubtitleProcessor(),
    T.THUMBNAIL_GENERATION: ThumbnailProcessor(),
    T.FULL_GENERATION: FullGenerationProcessor(),
}


def processor_for(job_type: str) -> Processor:
    try:
        return PROCESSORS[job_type]
    except KeyError:
        raise ProcessorError(f"No processor handles {job_type!r} jobs.") from None


__all__ = [
    "PROCESSORS",
    "JobCancelled",
    "JobSpec",
    "JobSuperseded",
    "Processor",
    "ProcessorError",
    "Progress",
    "TransientError",
    "processor_for",
]
