"""The dispatch sweep (jobs committed but never published) and the stuck-job reaper."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from kombu.exceptions import OperationalError

from config.celery import app as celery_app
from credits import services as credits_services
from jobs import processors, queues, services, tasks
from jobs.models import Job, Project
from tests.jobs.factories import JobFactory, ProjectFactory
from tests.jobs.helpers import StepProcessor

J = Job.Status


def committed_job(user, **fields):
    """A job created and paid for through the service, whose on-commit dispatch never
    ran (the test transaction does not commit)."""
    job = services.job_create(
        user=user, project_id=ProjectFactory(owner=user).pk, job_type="script_analysis"
    )
    if fields:
        Job.objects.filter(pk=job.pk).update(**fields)
        job.refresh_from_db()
    return job


def ago(seconds):
    return timezone.now() - timedelta(seconds=seconds)


# --- dispatch sweep -----------------------------------------------------------------------


@pytest.mark.django_db
def test_sweep_publishes_jobs_left_undispatched_past_the_grace_period(student, published):
    old = committed_job(student, queued_at=ago(60))
    young = committed_job(student)  # its on-commit dispatch may still be on the way
    dispatched = committed_job(student, queued_at=ago(60), dispatched_at=ago(30))
    finished = JobFactory(status=J.CANCELLED, queued_at=ago(60))

    assert services.jobs_dispatch_sweep() == 1

    assert [call["job_id"] for call in published] == [old.pk]
    old.refresh_from_db()
    assert old.dispatched_at is not None
    assert old.celery_task_id == published[0]["task_id"]
    for job in (young, dispatched, finished):
        before = job.dispatched_at
        job.refresh_from_db()
        assert job.dispatched_at == before


@pytest.mark.django_db
def test_a_second_sweep_publishes_nothing_more(student, published):
    committed_job(student, queued_at=ago(60))
    assert services.jobs_dispatch_sweep() == 1
    assert services.jobs_dispatch_sweep() == 0
    assert len(published) == 1


@pytest.mark.django_db
def test_sweep_publishes_again_a_job_whose_message_was_lost(student, published, settings):
    settings.JOBS_REDISPATCH_AFTER = 3600
    lost = committed_job(student, queued_at=ago(7200), dispatched_at=ago(7200))
    committed_job(student, queued_at=ago(7200), dispatched_at=ago(600))
    assert services.jobs_dispatch_sweep() == 1
    assert [call["job_id"] for call in published] == [lost.pk]


@pytest.mark.django_db
def test_sweep_sends_higher_priorities_first(published):
    from tests.accounts.factories import StudentFactory

    low, high = StudentFactory(tier="free"), StudentFactory(tier="enterprise")
    first = committed_job(low, queued_at=ago(60))
    second = committed_job(high, queued_at=ago(30))
    services.jobs_dispatch_sweep()
    assert [(call["job_id"], call["queue"]) for call in published] == [
        (second.pk, "high"),
        (first.pk, "low"),
    ]


@pytest.mark.django_db
def test_broker_down_leaves_the_job_for_the_next_sweep(
    student, monkeypatch, django_capture_on_commit_callbacks
):
    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to redis. Connection refused.")

    monkeypatch.setattr(tasks.job_run_task, "apply_async", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        job = services.job_create(
            user=student, project_id=ProjectFactory(owner=student).pk, job_type="script_analysis"
        )
    job.refresh_from_db()
    assert (job.status, job.dispatched_at) == (J.QUEUED, None)
    assert job.credit_hold.status == "open"

    published = []
    monkeypatch.setattr(
        tasks.job_run_task, "apply_async", lambda args=None, **options: published.append(args[0])
    )
    Job.objects.filter(pk=job.pk).update(queued_at=ago(60))
    assert services.jobs_dispatch_sweep() == 1
    assert published == [job.pk]


@pytest.mark.django_db
def test_the_sweep_task_runs_the_sweep(student, published):
    committed_job(student, queued_at=ago(60))
    assert tasks.jobs_dispatch_sweep_task.delay().get() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_sweeps_publish_each_job_once(published):
    from tests.accounts.factories import StudentFactory

    user = StudentFactory()
    credits_services.add_credits(user=user, amount=20, idempotency_key="sweep-test")
    jobs = [committed_job(user, queued_at=ago(60)) for _ in range(10)]
    # the on-commit dispatch ran (transaction=True commits): make them undispatched again
    Job.objects.update(dispatched_at=None)
    published.clear()
    barrier = threading.Barrier(4)
    counts = []

    def sweep():
        try:
            barrier.wait()
            counts.append(services.jobs_dispatch_sweep())
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(counts) == 10
    assert sorted(call["job_id"] for call in published) == sorted(job.pk for job in jobs)


# --- reaper -------------------------------------------------------------------------------


def processing(job, heartbeat_seconds_ago, **fields):
    Job.objects.filter(pk=job.pk).update(
        status=J.PROCESSING,
        attempts=1,
        progress=40,
        started_at=ago(heartbeat_seconds_ago + 5),
        heartbeat_at=ago(heartbeat_seconds_ago),
        **fields,
    )
    job.refresh_from_db()
    return job


@pytest.mark.django_db
def test_reaper_requeues_a_silent_job_with_retries_left(
    student, published, django_capture_on_commit_callbacks
):
    job = processing(committed_job(student), heartbeat_seconds_ago=601)
    fresh = processing(committed_job(student), heartbeat_seconds_ago=30)

    with django_capture_on_commit_callbacks(execute=True):
        result = services.jobs_reap_stuck()

    assert result == services.ReapResult(requeued=1)
    job.refresh_from_db()
    assert (job.status, job.retry_count, job.progress) == (J.QUEUED, 1, 0)
    assert job.error == "The worker stopped responding for 600 s; requeued."
    assert job.credit_hold.status == "open"
    assert [call["job_id"] for call in published] == [job.pk]
    fresh.refresh_from_db()
    assert (fresh.status, fresh.retry_count) == (J.PROCESSING, 0)


@pytest.mark.django_db
def test_reaper_fails_a_silent_job_without_retries_and_releases(student):
    job = processing(committed_job(student), heartbeat_seconds_ago=900, retry_count=3)
    assert services.jobs_reap_stuck() == services.ReapResult(failed=1)
    job.refresh_from_db()
    assert job.status == J.FAILED
    assert job.error == "The worker stopped responding for 600 s and no retries remain."
    assert job.credit_hold.status == "released"
    balance = credits_services.get_balance(user=student)
    assert (balance.allowance, balance.held) == (3, 0)


@pytest.mark.django_db
def test_reaper_finishes_the_cancel_of_a_silent_job(student):
    job = processing(committed_job(student), heartbeat_seconds_ago=900, cancel_requested=True)
    assert services.jobs_reap_stuck() == services.ReapResult(cancelled=1)
    job.refresh_from_db()
    assert (job.status, job.credit_hold.status) == (J.CANCELLED, "released")


@pytest.mark.django_db
def test_reaper_honours_the_timeout_setting(student, settings):
    settings.JOBS_STUCK_TIMEOUT = 60
    job = processing(committed_job(student), heartbeat_seconds_ago=90)
    assert services.jobs_reap_stuck().requeued == 1
    job.refresh_from_db()
    assert job.status == J.QUEUED


@pytest.mark.django_db
def test_the_old_worker_of_a_reaped_job_stops_at_its_next_step(student, monkeypatch, published):
    """The worker was only slow: the reaper requeued its job, another worker took it; the
    slow one stops at its next cancel point without settling anything."""
    job = committed_job(student)
    slow = []

    def slow_step():
        if slow:  # the second worker's run goes straight through
            return
        slow.append(True)
        Job.objects.filter(pk=job.pk).update(heartbeat_at=ago(700))
        services.jobs_reap_stuck()
        services.job_run(job_id=job.pk)  # the second worker runs the requeued job

    processor = StepProcessor(steps=2, hooks={0: slow_step})
    monkeypatch.setitem(processors.PROCESSORS, "script_analysis", processor)
    assert services.job_run(job_id=job.pk) == "superseded"
    job.refresh_from_db()
    assert (job.status, job.attempts, job.retry_count) == (J.COMPLETED, 2, 1)
    assert job.credit_hold.status == "captured"


@pytest.mark.django_db
def test_the_reaper_task_reports_what_it_did(student):
    processing(committed_job(student), heartbeat_seconds_ago=900, retry_count=3)
    assert tasks.jobs_reap_stuck_task.delay().get() == {
        "requeued": 0,
        "failed": 1,
        "cancelled": 0,
        "uploads_failed": 0,
        "uploads_resent": 0,
    }


@pytest.mark.django_db
def test_reaped_full_generation_keeps_its_project_generating_then_fails_it(staff, student):
    project = ProjectFactory(owner=student, status=Project.Status.PENDING_REVIEW)
    _, job = services.project_approve(project=project, acting_user=staff)
    Project.objects.filter(pk=project.pk).update(status=Project.Status.GENERATING)
    processing(job, heartbeat_seconds_ago=900)
    services.jobs_reap_stuck()
    project.refresh_from_db()
    assert project.status == Project.Status.GENERATING
    processing(job, heartbeat_seconds_ago=900, retry_count=3)
    services.jobs_reap_stuck()
    project.refresh_from_db()
    assert project.status == Project.Status.FAILED


# --- schedule and broker plumbing ---------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "minute"),
    [("jobs-dispatch-sweep", "*"), ("jobs-reap-stuck", "*/5")],
)
def test_beat_runs_the_sweep_every_minute_and_the_reaper_every_five(settings, name, minute):
    entry = settings.CELERY_BEAT_SCHEDULE[name]
    assert entry["task"] in celery_app.tasks
    assert entry["schedule"]._orig_minute == minute
    assert entry["schedule"]._orig_hour == "*"


def test_a_revoke_the_broker_cannot_take_is_only_logged(monkeypatch, caplog):
    def broker_down(task_id, **kwargs):
        raise OperationalError("Connection refused")

    monkeypatch.setattr(celery_app.control, "revoke", broker_down)
    queues.revoke("a-task-id")
    assert "could not revoke task a-task-id" in caplog.text


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_message_delivered_twice_at_once_runs_the_job_once(published, monkeypatch):
    from tests.accounts.factories import StudentFactory

    user = StudentFactory()
    job = committed_job(user)
    processor = StepProcessor(steps=2)
    monkeypatch.setitem(processors.PROCESSORS, "script_analysis", processor)
    barrier = threading.Barrier(2)
    outcomes = []

    def deliver():
        try:
            barrier.wait()
            outcomes.append(services.job_run(job_id=job.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["completed", "skipped"]
    assert processor.ran == [(job.pk, 0), (job.pk, 1)]
    job.refresh_from_db()
    assert (job.status, job.attempts, job.credit_hold.status) == (J.COMPLETED, 1, "captured")
