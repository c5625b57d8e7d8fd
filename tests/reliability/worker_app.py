"""The Celery app of the fault tests' worker processes: the project's own app
(`config.celery`), with the script_analysis processor replaced by `BlockOnFirstRun`.

Environment: RELIABILITY_RUN_DIR (where runs are recorded), RELIABILITY_BLOCK_FIRST_RUN
("0": first runs do not block), and optionally RELIABILITY_VISIBILITY_TIMEOUT (seconds
before an unacknowledged message may be handed out again; this worker does so when it
starts)."""

import os
import time
from pathlib import Path
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
django.setup()

from config.celery import app  # noqa: E402
from jobs import processors  # noqa: E402
from jobs.processors import JobSpec, ProcessorError, Progress  # noqa: E402

RUN_DIR = Path(os.environ["RELIABILITY_RUN_DIR"])
BLOCK_FIRST_RUN = os.environ.get("RELIABILITY_BLOCK_FIRST_RUN", "1") == "1"
BLOCK_SECONDS = 120


class BlockOnFirstRun:
    """The first run of a job writes its process id to `job-<id>.started`, reports 10% and
    then blocks (until its process is killed). Any later run, and the first one when
    BLOCK_FIRST_RUN is off, reports progress, appends its process id to `job-<id>.finished`
    and returns."""

    def process(self, job: JobSpec, progress: Progress) -> dict[str, Any]:
        started = RUN_DIR / f"job-{job.job_id}.started"
        try:
            descriptor = os.open(started, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            first = False
        else:
            os.write(descriptor, str(os.getpid()).encode())
            os.close(descriptor)
            first = True
        progress(10)
        if first and BLOCK_FIRST_RUN:
            time.sleep(BLOCK_SECONDS)
            raise ProcessorError("The first run was not killed.")
        progress(60)
        with (RUN_DIR / f"job-{job.job_id}.finished").open("a") as finished:
            finished.write(f"{os.getpid()}\n")
        return {"finished_by": os.getpid()}


processors.PROCESSORS["script_analysis"] = BlockOnFirstRun()

if "RELIABILITY_VISIBILITY_TIMEOUT" in os.environ:
    # Handed out again when this worker starts (the sweep at start always scans), and not
    # later: a periodic sweep could hand out this worker's own message while it runs.
    app.conf.broker_transport_options = {
        **app.conf.broker_transport_options,
        "visibility_timeout": float(os.environ["RELIABILITY_VISIBILITY_TIMEOUT"]),
        "unacked_restore_interval": 3600,
        "unacked_restore_throttle": 1,
    }
