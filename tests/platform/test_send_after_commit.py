"""Tasks are published after commit, and a broker that is down never turns a committed
request into an error: it is logged with what catches the work up."""

import pytest
from kombu.exceptions import OperationalError

from accounts import tasks as account_tasks
from config.celery import send_after_commit
from tests.accounts.factories import StudentFactory


class FakeTask:
    name = "tests.fake"

    def __init__(self, error=None):
        self.sent = []
        self.error = error

    def apply_async(self, args, **options):
        if self.error is not None:
            raise self.error
        self.sent.append(args)


@pytest.mark.django_db
def test_the_task_leaves_only_after_commit(django_capture_on_commit_callbacks):
    task = FakeTask()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        send_after_commit(task, 1, "two", lost="nothing")
    assert task.sent == []
    callbacks[0]()
    assert task.sent == [(1, "two")]


@pytest.mark.django_db
@pytest.mark.parametrize("error", [OperationalError("refused"), ConnectionRefusedError()])
def test_a_broker_that_is_down_is_logged_not_raised(
    error, caplog, django_capture_on_commit_callbacks
):
    task = FakeTask(error)
    with django_capture_on_commit_callbacks(execute=True):
        send_after_commit(task, 7, lost="the sweep sends it again")
    assert task.sent == []
    [record] = [r for r in caplog.records if r.name == "config.celery"]
    assert record.levelname == "WARNING"
    assert "tests.fake not sent" in record.getMessage()
    assert record.getMessage().endswith("the sweep sends it again")


@pytest.mark.django_db
def test_password_reset_answers_202_while_the_broker_is_down(
    api_client, monkeypatch, django_capture_on_commit_callbacks
):
    user = StudentFactory()

    def broker_down(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(account_tasks.send_password_reset_email, "apply_async", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post("/api/v1/auth/password/reset", {"email": user.email})
    assert response.status_code == 202
