import base64
import json

import pytest
import requests
import responses
from celery.exceptions import SoftTimeLimitExceeded
from django.core.files.storage import default_storage
from django.utils import timezone

from config.errors import Conflict
from credits import services as credits_services
from credits.models import CreditTransaction
from jobs import processors, services, signals, tasks
from jobs.models import Job, Project
from jobs.processors import TransientError
from jobs.processors.provider import NOT_CONFIGURED
from tests.jobs.factories import ProjectFactory
from tests.jobs.helpers import StepProcessor

pytestmark = pytest.mark.django_db

J = Job.Status
P = Project.Status
PROVIDER = "https://ai.example/v1"


def balance(user):
    b = credits_services.get_balance(user=user)
    return {"allowance": b.allowance, "purchased": b.purchased, "held": b.held}


def money_keys(job):
    return list(
        CreditTransaction.objects.filter(reference=f"job:{job.pk}")
        .order_by("id")
        .values_list("kind", "idempotency_key")
    )


@pytest.fixture
def use_processor(monkeypatch):
    def install(job_type, processor):
        monkeypatch.setitem(processors.PROCESSORS, job_type, processor)
        return processor

    return install


@pytest.fixture
def finished_events():
    events = []

    def receiver(sender, **kwargs):
        events.append(kwargs)

    signals.job_finished.connect(receiver, dispatch_uid="test-finished")
    yield events
    signals.job_finished.disconnect(dispatch_uid="test-finished")


def new_job(user, job_type="script_analysis", parameters=None, project=None):
    project = project or ProjectFactory(owner=user)
    return services.job_create(
        user=user, project_id=project.pk, job_type=job_type, parameters=parameters
    )


# --- a run to completion ------------------------------------------------------------------


def test_a_job_runs_after_commit_and_its_hold_is_captured(
    student_client, student, finished_events, django_capture_on_commit_callbacks
):
    project = ProjectFactory(owner=student)
    with django_capture_on_commit_callbacks(execute=True):
        response = student_client.post(
            "/api/v1/jobs", {"project_id": project.pk, "job_type": "script_analysis"}
        )
    job = Job.objects.get(pk=response.json()["id"])
    assert (job.status, job.progress, job.attempts) == (J.COMPLETED, 100, 1)
    assert job.result["scene_count"] == 2
    assert job.started_at <= job.heartbeat_at <= job.finished_at
    assert money_keys(job) == [("hold", f"job:{job.pk}:hold"), ("capture", f"job:{job.pk}:capture")]
    assert balance(student) == {"allowance": 2, "purchased": 0, "held": 0}
    assert finished_events == [
        {
            "signal": signals.job_finished,
            "job_id": job.pk,
            "user_id": student.pk,
            "status": "completed",
        }
    ]


def test_job_finished_is_sent_only_after_commit(
    student, finished_events, django_capture_on_commit_callbacks
):
    job = new_job(student)
    with django_capture_on_commit_callbacks() as callbacks:
        services.job_run(job_id=job.pk)
    assert finished_events == []
    for callback in callbacks:
        callback()
    assert [event["status"] for event in finished_events] == ["completed"]


def test_a_finished_job_is_never_run_again(student, use_processor):
    job = new_job(student)
    assert services.job_run(job_id=job.pk) == "completed"
    processor = use_processor("script_analysis", StepProcessor())
    assert services.job_run(job_id=job.pk) == "skipped"
    assert processor.ran == []
    job.refresh_from_db()
    assert job.attempts == 1
    assert [kind for kind, _ in money_keys(job)] == ["hold", "capture"]


def test_progress_is_one_update_per_report(student, django_assert_num_queries):
    job = new_job(student)
    Job.objects.filter(pk=job.pk).update(status=J.PROCESSING, attempts=1)
    reporter = services.ProgressReporter(job_id=job.pk, attempt=1)
    with django_assert_num_queries(1):  # UPDATE progress, heartbeat WHERE still this run's
        reporter(40)
    job.refresh_from_db()
    assert job.progress == 40
    assert job.heartbeat_at is not None
    reporter(250)
    job.refresh_from_db()
    assert job.progress == 100


# --- failures -----------------------------------------------------------------------------


def test_a_final_error_fails_the_job_and_releases_the_hold(student, use_processor, finished_events):
    use_processor(
        "script_analysis",
        StepProcessor(steps=2, fail_with=processors.ProcessorError("Bad script."), fail_at=1),
    )
    job = new_job(student)
    assert services.job_run(job_id=job.pk) == "failed"
    job.refresh_from_db()
    assert (job.status, job.error, job.progress) == (J.FAILED, "Bad script.", 50)
    assert job.failed_at is not None
    assert money_keys(job) == [
        ("hold", f"job:{job.pk}:hold"),
        ("release", f"job:{job.pk}:release:{job.credit_hold_id}"),
    ]
    assert balance(student) == {"allowance": 3, "purchased": 0, "held": 0}


@pytest.mark.parametrize(
    "error",
    [
        TransientError("The provider is busy."),
        requests.ConnectionError("reset"),
        requests.Timeout("slow"),
    ],
)
def test_transient_errors_retry_with_exponential_backoff_then_fail(
    student, use_processor, published, django_capture_on_commit_callbacks, error
):
    use_processor("script_analysis", StepProcessor(steps=1, fail_with=error))
    job = new_job(student)
    outcomes = []
    for _ in range(4):
        with django_capture_on_commit_callbacks(execute=True):
            outcomes.append(services.job_run(job_id=job.pk))
    assert outcomes == ["retrying", "retrying", "retrying", "failed"]
    assert [call["countdown"] for call in published] == [10, 20, 40]
    assert {call["queue"] for call in published} == {"low"}
    job.refresh_from_db()
    assert (job.status, job.retry_count, job.attempts) == (J.FAILED, 3, 4)
    assert job.error.endswith("No retries left.")
    # one hold for all the automatic retries, released once at the end
    assert [kind for kind, _ in money_keys(job)] == ["hold", "release"]
    assert balance(student) == {"allowance": 3, "purchased": 0, "held": 0}


def test_a_requeued_job_waits_in_queue_with_its_hold(
    student, use_processor, published, django_capture_on_commit_callbacks, settings
):
    settings.JOBS_RETRY_BACKOFF = 3
    use_processor("script_analysis", StepProcessor(steps=1, fail_with=TransientError("busy")))
    job = new_job(student)
    with django_capture_on_commit_callbacks(execute=True):
        services.job_run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.retry_count, job.progress) == (J.QUEUED, 1, 0)
    assert job.error == "busy Retry 1 of 3 in 3 s."
    assert job.credit_hold.status == "open"
    assert published == [
        {"job_id": job.pk, "queue": "low", "task_id": job.celery_task_id, "countdown": 3}
    ]


def test_backoff_is_capped(settings):
    settings.JOBS_RETRY_BACKOFF = 10
    settings.JOBS_RETRY_BACKOFF_MAX = 60
    assert [services.retry_countdown(n) for n in range(5)] == [10, 20, 40, 60, 60]


def test_an_unexpected_crash_fails_the_job_and_releases(student, use_processor):
    use_processor("script_analysis", StepProcessor(steps=1, fail_with=ZeroDivisionError()))
    job = new_job(student)
    assert services.job_run(job_id=job.pk) == "failed"
    job.refresh_from_db()
    assert (job.status, job.error) == (J.FAILED, "The job failed unexpectedly.")
    assert balance(student) == {"allowance": 3, "purchased": 0, "held": 0}


def test_the_soft_time_limit_fails_the_job(student, use_processor):
    use_processor("script_analysis", StepProcessor(steps=1, fail_with=SoftTimeLimitExceeded()))
    job = new_job(student)
    assert services.job_run(job_id=job.pk) == "failed"
    job.refresh_from_db()
    assert job.error == "The job ran out of time."


@pytest.mark.parametrize("job_type", ["image_generation", "voice_synthesis", "video_composition"])
def test_provider_jobs_fail_with_the_reason_when_unconfigured(student, job_type):
    job = new_job(student, job_type=job_type)
    assert services.job_run(job_id=job.pk) == "failed"
    job.refresh_from_db()
    assert (job.status, job.error) == (J.FAILED, NOT_CONFIGURED)
    assert job.credit_hold.status == "released"
    assert balance(student) == {"allowance": 3, "purchased": 0, "held": 0}


def test_a_superseded_run_stops_without_touching_the_job(student, use_processor):
    """The reaper requeued the job and another worker took it while this run was still
    alive: at its next cancel point this run notices and leaves the job alone."""
    job = new_job(student)

    def taken_over():
        Job.objects.filter(pk=job.pk).update(attempts=2, progress=7)

    processor = use_processor("script_analysis", StepProcessor(steps=3, hooks={0: taken_over}))
    assert services.job_run(job_id=job.pk) == "superseded"
    assert processor.ran == [(job.pk, 0)]
    job.refresh_from_db()
    assert (job.status, job.progress, job.attempts) == (J.PROCESSING, 7, 2)
    assert job.credit_hold.status == "open"
    # what the other worker finishes is settled once
    Job.objects.filter(pk=job.pk).update(status=J.QUEUED)
    use_processor("script_analysis", StepProcessor(steps=1))
    assert services.job_run(job_id=job.pk) == "completed"
    assert [kind for kind, _ in money_keys(job)] == ["hold", "capture"]


# --- a worker lost mid-run ------------------------------------------------------------------


def left_processing_by_a_dead_worker(job, task_id="task-1", **fields):
    """The job as a worker that died in the middle of the run of message `task_id` left it."""
    Job.objects.filter(pk=job.pk).update(
        **{
            "status": J.PROCESSING,
            "attempts": 1,
            "progress": 40,
            "celery_task_id": task_id,
            "started_at": timezone.now(),
            "heartbeat_at": timezone.now(),
            **fields,
        }
    )


def test_the_redelivered_message_of_a_dead_worker_takes_the_job_over(student, use_processor):
    job = new_job(student)
    left_processing_by_a_dead_worker(job)
    processor = use_processor("script_analysis", StepProcessor(steps=2))

    assert services.job_run(job_id=job.pk, task_id="task-1", redelivered=True) == "completed"

    assert processor.ran == [(job.pk, 0), (job.pk, 1)]
    job.refresh_from_db()
    assert (job.status, job.attempts, job.retry_count, job.progress) == (J.COMPLETED, 2, 1, 100)
    assert money_keys(job) == [("hold", f"job:{job.pk}:hold"), ("capture", f"job:{job.pk}:capture")]
    assert balance(student) == {"allowance": 2, "purchased": 0, "held": 0}


@pytest.mark.parametrize(
    ("task_id", "redelivered", "status"),
    [
        ("task-1", False, J.PROCESSING),  # a duplicate delivery, not a redelivery
        ("task-0", True, J.PROCESSING),  # a message of an earlier run (the job was requeued)
        ("task-1", True, J.COMPLETED),  # the run finished before its worker died
    ],
)
def test_other_deliveries_leave_a_job_alone(student, use_processor, task_id, redelivered, status):
    job = new_job(student)
    left_processing_by_a_dead_worker(job, status=status)
    before = Job.objects.filter(pk=job.pk).values().get()
    processor = use_processor("script_analysis", StepProcessor())

    assert services.job_run(job_id=job.pk, task_id=task_id, redelivered=redelivered) == "skipped"

    assert processor.ran == []
    assert Job.objects.filter(pk=job.pk).values().get() == before
    assert [kind for kind, _ in money_keys(job)] == ["hold"]


def test_a_job_that_keeps_losing_its_worker_fails_when_retries_run_out(student, use_processor):
    job = new_job(student)
    left_processing_by_a_dead_worker(job, retry_count=3)
    processor = use_processor("script_analysis", StepProcessor())

    assert services.job_run(job_id=job.pk, task_id="task-1", redelivered=True) == "failed"

    assert processor.ran == []
    job.refresh_from_db()
    assert (job.status, job.retry_count) == (J.FAILED, 3)
    assert job.error == "The worker running it was lost and no retries remain."
    assert [kind for kind, _ in money_keys(job)] == ["hold", "release"]
    assert balance(student) == {"allowance": 3, "purchased": 0, "held": 0}


def test_a_job_cancelled_before_its_worker_died_ends_cancelled(student, use_processor):
    job = new_job(student)
    left_processing_by_a_dead_worker(job, cancel_requested=True)
    processor = use_processor("script_analysis", StepProcessor())

    assert services.job_run(job_id=job.pk, task_id="task-1", redelivered=True) == "cancelled"

    assert processor.ran == []
    job.refresh_from_db()
    assert job.status == J.CANCELLED
    assert [kind for kind, _ in money_keys(job)] == ["hold", "release"]


def test_an_earlier_run_still_alive_is_superseded_by_the_redelivered_one(student, use_processor):
    """The broker handed the message out again while its first run was still going (its
    worker's connection dropped): the redelivered run takes over, the first one stops at
    its next cancel point, and the job is settled once."""
    job = new_job(student)
    Job.objects.filter(pk=job.pk).update(celery_task_id="task-1")
    outcomes = []
    redeliveries = []

    def redelivered():
        if not redeliveries:  # the redelivered run's own first step goes straight through
            redeliveries.append("task-1")
            outcomes.append(services.job_run(job_id=job.pk, task_id="task-1", redelivered=True))

    processor = use_processor("script_analysis", StepProcessor(steps=2, hooks={0: redelivered}))

    assert services.job_run(job_id=job.pk, task_id="task-1") == "superseded"

    assert outcomes == ["completed"]
    assert processor.ran == [(job.pk, 0), (job.pk, 0), (job.pk, 1)]
    job.refresh_from_db()
    assert (job.status, job.attempts, job.retry_count) == (J.COMPLETED, 2, 1)
    assert [kind for kind, _ in money_keys(job)] == ["hold", "capture"]


def test_the_task_tells_the_service_whether_its_message_was_redelivered(student, use_processor):
    job = new_job(student)
    left_processing_by_a_dead_worker(job)
    use_processor("script_analysis", StepProcessor())
    tasks.job_run_task.push_request(id="task-1", delivery_info={"redelivered": False})
    try:
        assert tasks.job_run_task.run(job.pk) == "skipped"
    finally:
        tasks.job_run_task.pop_request()
    tasks.job_run_task.push_request(id="task-1", delivery_info={"redelivered": True})
    try:
        assert tasks.job_run_task.run(job.pk) == "completed"
    finally:
        tasks.job_run_task.pop_request()


# --- full generation ----------------------------------------------------------------------


def provider_file(name, content_type, content=b"data"):
    return {
        "name": name,
        "content_type": content_type,
        "content_base64": base64.b64encode(content).decode(),
    }


@pytest.fixture
def provider(settings):
    """The AI provider, answering each job type with one file; it records the job's
    progress (as stored) when each call arrives."""
    settings.JOBS_AI_PROVIDER_URL = PROVIDER
    seen: list[int] = []
    answers = {
        "image_generation": provider_file("frame.png", "image/png"),
        "voice_synthesis": provider_file("narration.mp3", "audio/mpeg"),
        "video_composition": provider_file("film.mp4", "video/mp4", b"MP4" * 100),
    }
    with responses.RequestsMock() as mock:
        for job_type, answer in answers.items():

            def reply(request, answer=answer):
                seen.append(Job.objects.get().progress)
                return 200, {}, json.dumps({"files": [answer]})

            mock.add_callback(responses.POST, f"{PROVIDER}/{job_type}", callback=reply)
        yield seen


def approved_project(staff, owner):
    project = ProjectFactory(owner=owner, status=P.PENDING_REVIEW, submitted_at=timezone.now())
    _, job = services.project_approve(
        project=project, acting_user=staff, parameters={"image_count": 2}
    )
    return project, job


def test_full_generation_runs_every_step_with_combined_progress(staff, student, provider):
    project, job = approved_project(staff, student)
    assert services.job_run(job_id=job.pk) == "completed"
    # image 1 at the start of step 2 of 6, image 2 half-way through it, then voice and video
    assert provider == [16, 25, 34, 50]
    job.refresh_from_db()
    assert sorted(job.result["steps"]) == sorted(
        [
            "script_analysis",
            "image_generation",
            "voice_synthesis",
            "video_composition",
            "subtitle_generation",
            "thumbnail_generation",
        ]
    )
    video = job.result["video"]
    assert video == {
        "path": f"jobs/{job.pk}/video-film.mp4",
        "url": f"/media/jobs/{job.pk}/video-film.mp4",
        "content_type": "video/mp4",
        "size": 300,
    }
    assert default_storage.open(video["path"]).read() == b"MP4" * 100
    assert job.result["subtitles"]["path"] == f"jobs/{job.pk}/subtitles.srt"
    assert job.result["thumbnail"]["path"] == f"jobs/{job.pk}/thumbnail.png"
    assert len(job.result["steps"]["image_generation"]["images"]) == 2
    project.refresh_from_db()
    assert project.status == P.COMPLETED
    assert [kind for kind, _ in money_keys(job)] == ["hold", "capture"]


def test_full_generation_moves_its_project_while_it_runs(staff, student, use_processor):
    _project, job = approved_project(staff, student)
    seen = []
    use_processor(
        "full_generation",
        StepProcessor(steps=1, hooks={0: lambda: seen.append(Project.objects.get().status)}),
    )
    services.job_run(job_id=job.pk)
    assert seen == [P.GENERATING]


def test_full_generation_without_a_provider_fails_and_frees_the_project(staff, student):
    project, job = approved_project(staff, student)
    assert services.job_run(job_id=job.pk) == "failed"
    job.refresh_from_db()
    assert job.error == NOT_CONFIGURED
    assert job.result == {}
    project.refresh_from_db()
    assert project.status == P.FAILED
    assert balance(student) == {"allowance": 3, "purchased": 0, "held": 0}


def test_cancelling_a_full_generation_stops_between_steps(staff, student, settings):
    settings.JOBS_AI_PROVIDER_URL = PROVIDER
    project, job = approved_project(staff, student)

    def voice_while_the_owner_cancels(request):
        services.job_cancel(job=job, acting_user=student)
        return 200, {}, json.dumps({"files": [provider_file("n.mp3", "audio/mpeg")]})

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add(responses.POST, f"{PROVIDER}/image_generation", json={"files": []})
        mock.add_callback(
            responses.POST, f"{PROVIDER}/voice_synthesis", callback=voice_while_the_owner_cancels
        )
        video = mock.add(responses.POST, f"{PROVIDER}/video_composition", json={"files": []})
        assert services.job_run(job_id=job.pk) == "cancelled"
    assert video.call_count == 0
    job.refresh_from_db()
    assert (job.status, job.cancel_requested) == (J.CANCELLED, True)
    project.refresh_from_db()
    assert project.status == P.FAILED
    assert [kind for kind, _ in money_keys(job)] == ["hold", "release"]
    assert balance(student) == {"allowance": 3, "purchased": 0, "held": 0}


def test_a_failed_full_generation_can_be_retried_unless_its_project_moved_on(
    staff, student, published, django_capture_on_commit_callbacks
):
    project, job = approved_project(staff, student)
    services.job_run(job_id=job.pk)  # fails: no provider
    with django_capture_on_commit_callbacks(execute=True):
        services.job_retry(job=job, acting_user=student)
    project.refresh_from_db()
    assert project.status == P.QUEUED
    assert [call["job_id"] for call in published] == [job.pk]

    services.job_run(job_id=job.pk)  # fails again; the owner edits and resubmits instead
    services.project_submit(project=project, acting_user=student)
    with pytest.raises(Conflict) as refused:
        services.job_retry(job=job, acting_user=student)
    assert refused.value.code == "project_not_failed"
    job.refresh_from_db()
    assert (job.status, job.retry_count) == (J.FAILED, 1)
    project.refresh_from_db()
    assert project.status == P.PENDING_REVIEW
