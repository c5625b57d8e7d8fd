"""Writes of the jobs app, by topic:

- `projects`: the owner's writes and staff moderation (approve, reject, restore);
- `jobs`: creating, pricing and paying for jobs, dispatch, cancel, retry, the dispatch
  sweep and the stuck-job reaper;
- `execution`: running a job on a worker;
- `publishing`: the YouTube connection, uploads and playlists;
- `accounts`: stopping a closed account's work."""

from jobs.services.accounts import ClosedAccountResult, work_cancel_for_closed_account
from jobs.services.execution import ProgressReporter, job_run
from jobs.services.jobs import (
    ReapResult,
    job_cancel,
    job_cost,
    job_create,
    job_dispatch,
    job_priority_resolve,
    job_retry,
    jobs_dispatch_sweep,
    jobs_reap_stuck,
    retry_countdown,
)
from jobs.services.projects import (
    project_approve,
    project_create,
    project_delete,
    project_reject,
    project_restore,
    project_submit,
    project_update,
)
from jobs.services.publishing import (
    YouTubeRefused,
    youtube_connect_finish,
    youtube_connect_start,
    youtube_credentials,
    youtube_disconnect,
    youtube_playlist_create,
    youtube_upload_create,
    youtube_upload_run,
    youtube_uploads_reap_stale,
    youtube_uploads_resend_lost,
)

__all__ = [
    "ClosedAccountResult",
    "ProgressReporter",
    "ReapResult",
    "YouTubeRefused",
    "job_cancel",
    "job_cost",
    "job_create",
    "job_dispatch",
    "job_priority_resolve",
    "job_retry",
    "job_run",
    "jobs_dispatch_sweep",
    "jobs_reap_stuck",
    "project_approve",
    "project_create",
    "project_delete",
    "project_reject",
    "project_restore",
    "project_submit",
    "project_update",
    "retry_countdown",
    "work_cancel_for_closed_account",
    "youtube_connect_finish",
    "youtube_connect_start",
    "youtube_credentials",
    "youtube_disconnect",
    "youtube_playlist_create",
    "youtube_upload_create",
    "youtube_upload_run",
    "youtube_uploads_reap_stale",
    "youtube_uploads_resend_lost",
]
