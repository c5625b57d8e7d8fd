"""A grant tells the user, once per grant: a replayed grant (same idempotency key) is silent."""

import pytest

from accounts.models import Notification
from credits import services

pytestmark = pytest.mark.django_db


def granted(user):
    return list(
        Notification.objects.filter(user=user, type="credits_granted").values_list(
            "data", flat=True
        )
    )


def test_a_grant_is_announced_once_with_amount_and_reason(student, staff):
    for _ in range(2):
        txn = services.add_credits(
            user=student,
            amount=5,
            kind="grant",
            reason="Course feedback",
            idempotency_key="grant-1",
            acting_user=staff,
        )
    assert granted(student) == [
        {"amount": 5, "reason": "Course feedback", "transaction_id": txn.pk}
    ]


def test_a_purchase_is_not_announced_as_a_grant(student):
    services.add_credits(user=student, amount=5, kind="purchase", idempotency_key="buy-1")
    assert granted(student) == []
