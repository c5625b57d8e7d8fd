"""Image, voice and video jobs go to the operator's AI service (JOBS_AI_PROVIDER_URL).

The contract, one HTTP call per unit of work:

    POST <JOBS_AI_PROVIDER_URL>/<job_type>
    Authorization: Bearer <JOBS_AI_PROVIDER_TOKEN>      (when set)
    {"job_id", "job_type", "parameters", "project": {"title", "script", "style",
     "target_duration"}, "inputs": {...earlier steps' results...}, "index"?}

    200 {"files": [{"name", "content_type", "content_base64"}], "metadata": {...}}

Image generation calls once per image (`index` 0..count-1). Network errors, timeouts, 429
and 5xx answers are transient (the job retries later); other answers and malformed
bodies fail the job. Without a configured URL the job fails with that reason."""

import base64
import binascii
import re
from typing import Any

import requests
from django.conf import settings

from jobs.models import Job
from jobs.processors.base import JobSpec, ProcessorError, Progress, TransientError, save_file

T = Job.Type
SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
NOT_CONFIGURED = "The AI provider is not configured (JOBS_AI_PROVIDER_URL is empty)."


def call(job: JobSpec, *, index: int | None = None) -> dict[str, Any]:
    """One call to the provider; the decoded JSON answer."""
    base_url = settings.JOBS_AI_PROVIDER_URL
    if not base_url:
        raise ProcessorError(NOT_CONFIGURED)
    payload: dict[str, Any] = {
        "job_id": job.job_id,
        "job_type": job.job_type,
        "parameters": job.parameters,
        "project": {
            "title": job.title,
            "script": job.script,
            "style": job.style,
            "target_duration": job.target_duration,
        },
        "inputs": job.inputs,
    }
    if index is not None:
        payload["index"] = index
    headers = {}
    if settings.JOBS_AI_PROVIDER_TOKEN:
        headers["Authorization"] = f"Bearer {settings.JOBS_AI_PROVIDER_TOKEN}"
    try:
        response = requests.post(
            f"{base_url.rstrip('/')}/{job.job_type}",
            json=payload,
            headers=headers,
            timeout=settings.JOBS_AI_PROVIDER_TIMEOUT,
        )
    except (requests.ConnectionError, requests.Timeout) as exc:
        raise TransientError(f"Could not reach the AI provider: {exc}") from exc
    if response.status_code == 429 or response.status_code >= 500:
        raise TransientError(f"The AI provider answered {response.status_code}.")
    if response.status_code != 200:
        raise ProcessorError(
            f"The AI provider refused the job ({response.status_code}): {response.text[:300]}"
        )
    try:
        body = response.json()
    except ValueError as exc:
        raise ProcessorError("The AI provider answered with invalid JSON.") from exc
    if not isinstance(body, dict) or not isinstance(body.get("files", []), list):
        raise ProcessorError("The AI provider's answer has no file list.")
    return body


def store_files(job: JobSpec, body: dict[str, Any], prefix: str = "") -> list[dict[str, Any]]:
    stored = []
    for item in body.get("files", []):
        if not isinstance(item, dict):
            raise ProcessorError("The AI provider's answer has a malformed file.")
        name = str(item.get("name", ""))
        if not SAFE_NAME.match(name):
            raise ProcessorError(f"The AI provider sent an unsafe file name {name[:100]!r}.")
        try:
            content = base64.b64decode(str(item.get("content_base64", "")), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ProcessorError(f"The AI provider sent undecodable content for {name}.") from exc
        content_type = str(item.get("content_type") or "application/octet-stream")
        stored.append(save_file(job, f"{prefix}{name}", content, content_type))
    return stored


class ImageProcessor:
    def process(self, job: JobSpec, progress: Progress) -> dict[str, Any]:
        count = job.parameters.get("count", 1)
        images: list[dict[str, Any]] = []
        progress(0)
        for index in range(count):
            body = call(job, index=index)
            images.extend(store_files(job, body, prefix=f"image-{index + 1}-"))
            progress((index + 1) * 100 // count)
        return {"images": images}


class VoiceProcessor:
    def process(self, job: JobSpec, progress: Progress) -> dict[str, Any]:
        progress(5)
        body = call(job)
        files = store_files(job, body, prefix="voice-")
        if not files:
            raise ProcessorError("The AI provider returned no audio.")
        progress(100)
        return {"audio": files[0], "metadata": body.get("metadata", {})}


class VideoProcessor:
    def process(self, job: JobSpec, progress: Progress) -> dict[str, Any]:
        progress(5)
        body = call(job)
        files = store_files(job, body, prefix="video-")
        if not files:
            raise ProcessorError("The AI provider returned no video.")
        progress(100)
        return {"video": files[0], "metadata": body.get("metadata", {})}
