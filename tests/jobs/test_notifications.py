"""The owner hears when a job completes or fails for good, once per run; not when they
cancelled it themselves."""

import pytest
from django.core import mail

from accounts.models import Notification
from jobs import processors, services
from tests.jobs.factories import ProjectFactory
from tests.jobs.helpers import StepProcessor

pytestmark = pytest.mark.django_db


def new_job(user):
    project = ProjectFactory(owner=user, title="Volcano explainer")
    return services.job_create(user=user, project_id=project.pk, job_type="script_analysis")


def inbox(user):
    return list(Notification.objects.filter(user=user).values_list("type", "data"))


def test_a_completed_job_is_announced_once(student, django_capture_on_commit_callbacks):
    Notification.objects.filter(user=student).delete()
    job = new_job(student)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.job_run(job_id=job.pk) == "completed"
    assert services.job_run(job_id=job.pk) == "skipped"
    [(kind, data)] = inbox(student)
    assert kind == "job_finished"
    assert data["job_id"] == job.pk
    assert data["job_name"] == f"Script analysis job {job.pk}"
    assert [message.subject for message in mail.outbox if student.email in message.to] == [
        f"Script analysis job {job.pk} is ready"
    ]


def test_a_failed_job_says_why_and_what_was_returned(student, monkeypatch):
    Notification.objects.filter(user=student).delete()
    monkeypatch.setitem(
        processors.PROCESSORS,
        "script_analysis",
        StepProcessor(steps=1, fail_with=processors.ProcessorError("Bad script.")),
    )
    job = new_job(student)
    assert services.job_run(job_id=job.pk) == "failed"
    [(kind, data)] = inbox(student)
    assert kind == "job_failed"
    assert (data["error"], data["refunded_credits"]) == ("Bad script.", job.credit_cost)
    assert job.credit_cost > 0


def test_cancelling_your_own_job_sends_nothing(student):
    Notification.objects.filter(user=student).delete()
    job = new_job(student)
    services.job_cancel(job=job, acting_user=student)
    assert inbox(student) == []
