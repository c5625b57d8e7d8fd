"""The broker down when a job is created: the API still answers 201, the job waits with its
credits held, /ready names the broker, and once the broker is back the dispatch sweep sends
the job exactly once and a worker completes it. A broker that hangs instead of refusing
costs the request its socket timeout, not forever.

The broker is a Redis server of the test's own, stopped (SIGKILL) and started again on the
same port while this process keeps its pooled connection to it, or a socket that accepts
connections and never answers."""

import logging

import pytest

from accounts.models import Notification, User
from config.celery import app as celery_app
from jobs import services
from jobs.models import Job
from tests.accounts.factories import StudentFactory
from tests.reliability.faults import (
    HungServer,
    assert_paid_once,
    create_job,
    finished_runs,
    publishing_to,
    queued_runs,
    wait_until_completed,
)

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

J = Job.Status


@pytest.fixture
def broker(redis_server, settings):
    """This process publishes to `redis_server` (and /ready checks it); no grace period
    before the sweep may publish a job left undispatched."""
    settings.CELERY_BROKER_URL = redis_server.url()
    settings.JOBS_DISPATCH_GRACE = 0
    with publishing_to(redis_server.url()):
        yield redis_server


def test_a_job_created_while_the_broker_is_down_is_sent_once_by_the_sweep_when_it_is_back(
    broker, workers, api_client, caplog
):
    queue = broker.client()
    before = create_job()  # the broker is up: published at once, the connection pooled
    assert queued_runs(queue, "low") == [(before.celery_task_id, [before.pk])]

    broker.stop()
    with caplog.at_level(logging.WARNING, logger="jobs.services.jobs"):
        job = create_job()  # 201 (asserted inside)

    assert (job.status, job.dispatched_at) == (J.QUEUED, None)
    assert job.credit_hold.status == "open"
    assert f"job {job.pk} not dispatched" in caplog.text
    ready = api_client.get("/ready")
    assert ready.status_code == 503
    assert ready.json()["checks"]["broker"] == "Unavailable: broker unreachable: OperationalError"
    assert ready.json()["checks"]["database"] == "ok"
    # a sweep while the broker is still down sends nothing and keeps the job for later
    assert services.jobs_dispatch_sweep() == 0
    assert Job.objects.get(pk=job.pk).dispatched_at is None

    broker.start()  # back, empty: the first job's message went down with it
    assert api_client.get("/ready").status_code == 200
    assert services.jobs_dispatch_sweep() == 1
    assert services.jobs_dispatch_sweep() == 0

    job.refresh_from_db()
    assert job.dispatched_at is not None
    assert queued_runs(queue, "low") == [(job.celery_task_id, [job.pk])]
    workers.start(block_first_run=False)
    job = wait_until_completed(job, workers)
    assert job.attempts == 1
    assert len(finished_runs(job, workers)) == 1
    assert_paid_once(job)
    assert Job.objects.get(pk=before.pk).status == J.QUEUED  # its message was lost with Redis


def test_a_job_created_while_the_broker_hangs_is_answered_after_the_socket_timeout(
    settings, caplog
):
    options = celery_app.conf.broker_transport_options
    # Without these a publish to a broker that never answers blocks the request forever.
    assert options["socket_timeout"] == options["socket_connect_timeout"] == 5.0
    hung = HungServer()
    settings.JOBS_DISPATCH_GRACE = 0
    try:
        with (
            publishing_to(
                hung.url(), {**options, "socket_timeout": 0.3, "socket_connect_timeout": 0.3}
            ),
            caplog.at_level(logging.WARNING, logger="jobs.services.jobs"),
        ):
            job = create_job()  # 201 (asserted inside)
            assert services.jobs_dispatch_sweep() == 0
    finally:
        hung.close()

    assert hung.connections >= 1
    job.refresh_from_db()
    assert (job.status, job.dispatched_at) == (J.QUEUED, None)
    assert job.credit_hold.status == "open"
    assert f"job {job.pk} not dispatched" in caplog.text


def test_requests_that_send_email_still_answer_while_the_broker_is_down(broker, api_client, caplog):
    """The change is committed and the answer says so; the welcome email waits in the outbox
    for the sweep, the reset email is logged as not sent (the user may ask again). A
    password reset answers the same whether or not the account exists."""
    existing = StudentFactory()
    broker.stop()
    with caplog.at_level(logging.WARNING):
        signup = api_client.post(
            "/api/v1/auth/signup",
            {
                "email": "new@example.com",
                "username": "newcomer",
                "password": "a long passphrase 42",
                "first_name": "New",
                "last_name": "Comer",
            },
            format="json",
        )
        resets = [
            api_client.post("/api/v1/auth/password/reset", {"email": email}, format="json")
            for email in (existing.email, "nobody@example.com")
        ]

    assert signup.status_code == 201, signup.content
    newcomer = User.objects.get(email="new@example.com")
    assert Notification.objects.filter(user=newcomer, type="welcome").count() == 1
    assert [(reset.status_code, reset.json()) for reset in resets] == [
        (resets[1].status_code, resets[1].json())
    ] * 2
    assert resets[0].status_code == 202
    assert caplog.text.count("not sent") == 2  # the welcome and the reset emails
    assert "the email sweep sends it" in caplog.text
    assert list(newcomer.outgoing_emails.values_list("type", "status")) == [("welcome", "pending")]
