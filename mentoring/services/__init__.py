"""Writes of the mentoring app: one function per use case, each one transaction."""

from mentoring.services.messages import message_send, thread_mark_read
from mentoring.services.profiles import (
    availability_window_create,
    availability_window_delete,
    availability_window_update,
    blocked_period_create,
    blocked_period_delete,
    mentor_lock,
    mentor_profile_close_for_closed_account,
    mentor_profile_get_or_create,
    mentor_profile_update,
)
from mentoring.services.reviews import review_create
from mentoring.services.schedule import beat_schedule_ensure
from mentoring.services.sessions import (
    TRANSITIONS,
    late_cancel_fee,
    session_actor_check,
    session_cancel,
    session_complete,
    session_confirm,
    session_decline,
    session_mark_no_show,
    session_price,
    session_reminders_send,
    session_request,
    session_requests_expire,
    session_reschedule,
    session_start,
    sessions_cancel_for_closed_account,
)

__all__ = [
    "TRANSITIONS",
    "availability_window_create",
    "availability_window_delete",
    "availability_window_update",
    "beat_schedule_ensure",
    "blocked_period_create",
    "blocked_period_delete",
    "late_cancel_fee",
    "mentor_lock",
    "mentor_profile_close_for_closed_account",
    "mentor_profile_get_or_create",
    "mentor_profile_update",
    "message_send",
    "review_create",
    "session_actor_check",
    "session_cancel",
    "session_complete",
    "session_confirm",
    "session_decline",
    "session_mark_no_show",
    "session_price",
    "session_reminders_send",
    "session_request",
    "session_requests_expire",
    "session_reschedule",
    "session_start",
    "sessions_cancel_for_closed_account",
    "thread_mark_read",
]
