"""The database restarted during traffic: a request in flight fails with the JSON 503 error
body, later requests succeed on new connections, and nothing is half-written.

The restart is what it does to the application: `pg_terminate_backend` of every
connection to the test database but the test's own (the shared server is never
restarted). The web processes are real WSGI servers (Django's handler behind wsgiref, one
thread each), keeping their connection between requests (CONN_MAX_AGE) as a sync
gunicorn worker does."""

import contextlib
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
import requests
from django.core.handlers.wsgi import WSGIHandler
from django.db import DatabaseError, connection, connections, transaction

from accounts.tokens import token_pair_for
from credits.models import CreditAccount, CreditHold, CreditTransaction
from jobs import services as jobs_services
from jobs import tasks
from jobs.models import Job
from jobs.services import jobs as job_services
from tests.accounts.factories import StudentFactory
from tests.jobs.factories import ProjectFactory
from tests.reliability.faults import wait_until

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

OTHER_BACKENDS = """
    SELECT pid FROM pg_stat_activity
    WHERE datname = current_database() AND pid <> pg_backend_pid()
"""


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):
        pass


class WebProcess:
    """One web worker: a WSGI server answering one request at a time in its own thread,
    whose database connection outlives each request."""

    def __init__(self):
        self.server: WSGIServer = make_server(
            "127.0.0.1", 0, WSGIHandler(), handler_class=QuietHandler
        )
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        try:
            self.server.serve_forever(poll_interval=0.05)
        finally:
            connections.close_all()

    def stop(self):
        self.server.shutdown()
        self.thread.join(timeout=10)
        self.server.server_close()


@pytest.fixture
def web(transactional_db):
    """Two web processes, stopped (and their connections closed) before the flush."""
    processes = [WebProcess(), WebProcess()]
    try:
        yield processes
    finally:
        for process in processes:
            process.stop()


@pytest.fixture
def published(monkeypatch):
    """Job runs published after commit (recorded, not run)."""
    job_ids: list[int] = []
    monkeypatch.setattr(
        tasks.job_run_task, "apply_async", lambda args=None, **options: job_ids.append(args[0])
    )
    return job_ids


def other_backends(*, waiting_for_a_lock: bool = False) -> set[int]:
    """Process ids of the other connections to the test database, as they are now (not as
    when this transaction first looked)."""
    query = OTHER_BACKENDS + (" AND wait_event_type = 'Lock'" if waiting_for_a_lock else "")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(query)
        return {pid for (pid,) in cursor.fetchall()}


def activity() -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT pid, state, wait_event_type, left(query, 60) FROM pg_stat_activity"
            " WHERE datname = current_database()"
        )
        return cursor.fetchall()


def restart_database() -> set[int]:
    """What a restart does to the application: every connection but this one is cut (and
    gone when this returns). The ids of the backends cut."""
    pids = other_backends()
    with connection.cursor() as cursor:
        for pid in pids:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    wait_until(
        lambda: not other_backends() & pids,
        timeout=10,
        what="the backends to exit",
        details=lambda: str(activity()),
    )
    return pids


def test_a_request_in_flight_gets_a_json_503_and_later_requests_succeed(web, published, caplog):
    student = StudentFactory()
    project = ProjectFactory(owner=student)
    headers = {"Authorization": f"Bearer {token_pair_for(student)['access']}"}
    first, second = web
    before = other_backends()
    for process in web:
        assert requests.get(f"{process.url}/api/v1/credits", headers=headers, timeout=10).ok
    web_backends = other_backends() - before
    assert len(web_backends) == 2  # each web process kept its connection
    ledger_before = list(CreditTransaction.objects.order_by("pk").values_list("pk", flat=True))
    body = {"project_id": project.pk, "job_type": "script_analysis"}

    with ThreadPoolExecutor(1) as pool, caplog.at_level(logging.WARNING), transaction.atomic():
        # The request will insert its job, then wait for the credit account's lock.
        CreditAccount.objects.select_for_update().get(user=student)
        in_flight = pool.submit(
            requests.post, f"{first.url}/api/v1/jobs", json=body, headers=headers, timeout=30
        )
        wait_until(
            lambda: other_backends(waiting_for_a_lock=True) & web_backends,
            timeout=10,
            what="the request to wait for the lock",
        )
        assert restart_database() >= web_backends
        response = in_flight.result(timeout=30)

    assert response.status_code == 503
    assert response.json() == {
        "status_code": 503,
        "code": "service_unavailable",
        "message": "The database is unavailable; try again.",
    }
    assert "database unavailable" in caplog.text
    # nothing of the request was written, nothing was published
    assert not Job.objects.exists()
    assert not CreditHold.objects.exists()
    assert list(CreditTransaction.objects.order_by("pk").values_list("pk", flat=True)) == (
        ledger_before
    )
    assert published == []

    created = requests.post(f"{first.url}/api/v1/jobs", json=body, headers=headers, timeout=10)
    balance = requests.get(f"{second.url}/api/v1/credits", headers=headers, timeout=10)

    assert created.status_code == 201, created.content
    assert balance.status_code == 200, balance.content
    assert (balance.json()["held"], balance.json()["available"]) == (1, 2)
    assert published == [created.json()["id"]]
    assert Job.objects.get().status == Job.Status.QUEUED


def test_the_database_gone_right_after_a_job_commits_answers_201_and_the_sweep_sends_it(
    web, published, monkeypatch, settings, caplog
):
    """The job and its hold are committed; then the connection is cut before the job is
    published. The answer is still 201 (a 503 would make the client create it again) and
    the dispatch sweep publishes the job later."""
    student = StudentFactory()
    project = ProjectFactory(owner=student)
    headers = {"Authorization": f"Bearer {token_pair_for(student)['access']}"}
    real_dispatch = job_services.job_dispatch

    def connection_cut_then_dispatch(**kwargs):
        with contextlib.suppress(DatabaseError), connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(pg_backend_pid())")
        return real_dispatch(**kwargs)

    monkeypatch.setattr(job_services, "job_dispatch", connection_cut_then_dispatch)
    with caplog.at_level(logging.ERROR):
        response = requests.post(
            f"{web[0].url}/api/v1/jobs",
            json={"project_id": project.pk, "job_type": "script_analysis"},
            headers=headers,
            timeout=30,
        )

    assert response.status_code == 201, response.content
    job = Job.objects.get(pk=response.json()["id"])
    assert (job.status, job.dispatched_at) == (Job.Status.QUEUED, None)
    assert job.credit_hold.status == "open"
    assert "in on_commit()" in caplog.text
    assert published == []

    monkeypatch.setattr(job_services, "job_dispatch", real_dispatch)
    settings.JOBS_DISPATCH_GRACE = 0
    assert jobs_services.jobs_dispatch_sweep() == 1
    assert published == [job.pk]
