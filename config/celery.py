"""Celery application. Settings come from Django settings under the CELERY_ namespace."""

import logging
import os
from typing import Any

from celery import Celery
from django.db import transaction
from kombu.exceptions import OperationalError as KombuOperationalError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

app = Celery("lectern")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

logger = logging.getLogger(__name__)


def send_after_commit(task: Any, *args: Any, lost: str) -> None:
    """Publish `task(*args)` once the current transaction commits (at once outside one).

    A broker that is down does not turn a committed request into an error: the failure is
    logged as a warning ending with `lost`, which says what catches the work up (a sweep, a
    nightly run, or nothing)."""
    task_name = getattr(task, "name", repr(task))

    def send() -> None:
        try:
            task.apply_async(args=args, retry=False)
        except (KombuOperationalError, OSError) as exc:
            logger.warning("broker unavailable, %s not sent (%s): %s", task_name, exc, lost)

    transaction.on_commit(send)
