"""Thin Celery tasks of the mentoring app: each calls one service."""

from celery import shared_task

from mentoring import services


@shared_task
def send_session_reminders() -> int:
    """Beat, every minute: the 24-hour and 1-hour reminders that are due (each once)."""
    return services.session_reminders_send()


@shared_task
def expire_session_requests() -> int:
    """Beat, every five minutes: requests not confirmed before their start are cancelled."""
    return services.session_requests_expire()
