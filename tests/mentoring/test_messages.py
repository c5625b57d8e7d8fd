"""Direct messages: sending (bounds, suspended users), threads with last message and unread
count in a fixed number of queries, a thread's messages, marking read."""

import pytest
from django.core import mail
from django.utils import timezone

from accounts.models import Notification
from config.errors import PermissionDenied
from mentoring import services
from mentoring.models import Message
from tests.accounts.factories import MentorFactory, StudentFactory
from tests.conftest import client_for
from tests.mentoring.factories import MessageFactory

pytestmark = pytest.mark.django_db


def send(client, recipient_id, body):
    return client.post("/api/v1/messages", {"recipient_id": recipient_id, "body": body})


def test_sending_stores_the_message_and_tells_the_recipient(
    student, student_client, mentor, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = send(student_client, mentor.pk, "  Hello, can we talk about graphs?  ")

    assert response.status_code == 201
    message = Message.objects.get()
    assert response.json() == {
        "id": message.pk,
        "sender_id": student.pk,
        "recipient_id": mentor.pk,
        "body": "Hello, can we talk about graphs?",
        "read_at": None,
        "created_at": response.json()["created_at"],
    }
    entry = Notification.objects.get(user=mentor)
    assert (entry.type, entry.data["sender_id"], entry.data["preview"]) == (
        "new_message",
        student.pk,
        "Hello, can we talk about graphs?",
    )
    assert [(m.to, m.subject) for m in mail.outbox] == [
        ([mentor.email], f"New message from {student.get_full_name()}")
    ]


def test_a_long_message_is_previewed_in_the_notification(student_client, mentor):
    send(student_client, mentor.pk, "x" * 300)

    preview = Notification.objects.get(user=mentor).data["preview"]
    assert (len(preview), preview[-1]) == (200, "…")


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"body": "   "}, "body"),
        ({"body": ""}, "body"),
        ({"body": "x" * 5001}, "body"),
        ({}, "body"),
        ({"recipient_id": "abc", "body": "Hi"}, "recipient_id"),
        ({"recipient_id": 999999, "body": "Hi"}, "recipient_id"),
    ],
)
def test_bad_messages_are_400_and_send_nothing(student_client, mentor, payload, field):
    response = student_client.post("/api/v1/messages", {"recipient_id": mentor.pk, **payload})

    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]
    assert not Message.objects.exists()
    assert not Notification.objects.exists()


def test_message_length_bound_is_a_setting(student_client, mentor, settings):
    settings.MENTORING_MESSAGE_MAX_LENGTH = 10

    response = send(student_client, mentor.pk, "x" * 11)

    assert response.status_code == 400
    assert response.json()["errors"] == {"body": ["At most 10 characters."]}
    assert send(student_client, mentor.pk, "x" * 10).status_code == 201


def test_no_message_to_oneself(student, student_client):
    response = send(student_client, student.pk, "Note to self")

    assert response.status_code == 400
    assert response.json()["errors"] == {"recipient_id": ["You cannot message yourself."]}
    assert not Message.objects.exists()


def test_suspended_users_cannot_be_messaged(student_client):
    suspended = MentorFactory(is_active=False, suspended_at=timezone.now())

    response = send(student_client, suspended.pk, "Hello")

    assert response.status_code == 409
    assert response.json()["code"] == "recipient_suspended"
    assert not Message.objects.exists()
    assert not Notification.objects.exists()


def test_suspended_users_cannot_send(student, mentor):
    client = client_for(student)
    student.is_active = False
    student.suspended_at = timezone.now()
    student.save()

    response = send(client, mentor.pk, "Hello")

    assert (response.status_code, response.json()["code"]) == (403, "account_suspended")
    assert not Message.objects.exists()


def test_a_suspended_sender_is_refused_by_the_service_too(student, mentor):
    student.is_active = False
    student.save()

    with pytest.raises(PermissionDenied) as refused:
        services.message_send(sender=student, recipient_id=mentor.pk, body="Hello")

    assert refused.value.code == "account_suspended"
    assert not Message.objects.exists()


def test_deleted_users_cannot_be_messaged(student_client):
    deleted = StudentFactory(deleted_at=timezone.now())

    response = send(student_client, deleted.pk, "Hello")

    assert response.status_code == 400
    assert response.json()["errors"] == {"recipient_id": ["No such user."]}


# --- threads ----------------------------------------------------------------------------------


def test_threads_show_each_counterpart_once_with_the_last_message_and_unread_count(
    student, student_client
):
    ana, bob, cid = MentorFactory(), MentorFactory(), StudentFactory()
    MessageFactory(sender=student, recipient=ana, body="a1")
    MessageFactory(sender=ana, recipient=student, body="a2")
    MessageFactory(sender=ana, recipient=student, body="a3", read_at=timezone.now())
    MessageFactory(sender=ana, recipient=student, body="a4")
    MessageFactory(sender=bob, recipient=student, body="b1")
    MessageFactory(sender=student, recipient=bob, body="b2")
    MessageFactory(sender=cid, recipient=ana, body="not mine")

    response = student_client.get("/api/v1/messages/threads")

    assert response.status_code == 200
    rows = [
        (
            row["counterpart"]["id"],
            row["last_message"]["body"],
            row["last_message"]["sender_id"],
            row["unread_count"],
        )
        for row in response.json()["results"]
    ]
    assert rows == [(bob.pk, "b2", student.pk, 1), (ana.pk, "a4", ana.pk, 2)]
    assert response.json()["count"] == 2


def test_threads_query_count_does_not_grow_with_page_size(
    student, student_client, django_assert_num_queries
):
    for counterpart in MentorFactory.create_batch(25):
        MessageFactory(sender=student, recipient=counterpart)
        MessageFactory(sender=counterpart, recipient=student)
    for page_size in (2, 20):
        # 1 the caller (JWT), 2 COUNT of threads, 3 the page of grouped threads,
        # 4 the last messages of the page with sender and recipient joined.
        with django_assert_num_queries(4):
            response = student_client.get(f"/api/v1/messages/threads?page_size={page_size}")
        assert response.status_code == 200
        assert len(response.json()["results"]) == page_size
        assert response.json()["count"] == 25


def test_a_thread_lists_the_messages_between_two_users_newest_first(student, student_client):
    ana = MentorFactory()
    first = MessageFactory(sender=student, recipient=ana)
    second = MessageFactory(sender=ana, recipient=student)
    MessageFactory(sender=ana, recipient=StudentFactory())
    MessageFactory(sender=student, recipient=MentorFactory())

    response = student_client.get(f"/api/v1/messages/threads/{ana.pk}")

    assert response.status_code == 200
    assert [m["id"] for m in response.json()["results"]] == [second.pk, first.pk]


def test_thread_query_count_does_not_grow_with_page_size(
    student, student_client, django_assert_num_queries
):
    ana = MentorFactory()
    for _ in range(13):
        MessageFactory(sender=student, recipient=ana)
        MessageFactory(sender=ana, recipient=student)
    for page_size in (2, 20):
        # 1 the caller (JWT), 2 the counterpart exists, 3 COUNT, 4 the page.
        with django_assert_num_queries(4):
            response = student_client.get(
                f"/api/v1/messages/threads/{ana.pk}?page_size={page_size}"
            )
        assert len(response.json()["results"]) == page_size


def test_a_thread_with_an_unknown_user_is_404(student_client):
    assert student_client.get("/api/v1/messages/threads/999999").status_code == 404
    assert student_client.post("/api/v1/messages/threads/999999/read").status_code == 404


def test_marking_a_thread_read_marks_only_the_counterparts_messages_to_me(student, student_client):
    ana, bob = MentorFactory(), MentorFactory()
    to_me = MessageFactory.create_batch(2, sender=ana, recipient=student)
    mine = MessageFactory(sender=student, recipient=ana)
    from_bob = MessageFactory(sender=bob, recipient=student)

    response = student_client.post(f"/api/v1/messages/threads/{ana.pk}/read")
    again = student_client.post(f"/api/v1/messages/threads/{ana.pk}/read")

    assert (response.status_code, response.json()) == (200, {"marked": 2})
    assert again.json() == {"marked": 0}
    assert all(Message.objects.get(pk=m.pk).read_at is not None for m in to_me)
    assert Message.objects.get(pk=mine.pk).read_at is None
    assert Message.objects.get(pk=from_bob.pk).read_at is None
    threads = student_client.get("/api/v1/messages/threads").json()["results"]
    assert {row["counterpart"]["id"]: row["unread_count"] for row in threads} == {
        ana.pk: 0,
        bob.pk: 1,
    }


def test_messages_need_authentication(api_client, mentor):
    assert api_client.get("/api/v1/messages/threads").status_code == 401
    assert send(api_client, mentor.pk, "Hi").status_code == 401
