from datetime import timedelta

import pytest
from django.utils import timezone

from credits import selectors, services
from tests.accounts.factories import AdminFactory, StudentFactory

pytestmark = pytest.mark.django_db


def test_credit_totals_over_a_period(django_assert_num_queries):
    staff = AdminFactory()
    alice, bob = StudentFactory(), StudentFactory()
    services.add_credits(
        user=alice, amount=10, kind="grant", acting_user=staff, idempotency_key="g"
    )
    services.add_credits(user=alice, amount=20, idempotency_key="buy")
    services.deduct_credits(user=alice, amount=4, idempotency_key="use", reference="r1")
    hold = services.hold(user=alice, amount=6, reference="job:1", idempotency_key="h")
    services.capture(hold_id=hold.pk, idempotency_key="c", amount=5)
    services.transfer(sender=alice, receiver=bob, amount=3, reference="gift", idempotency_key="t")
    services.refund(user=alice, amount=1, reference="r1", idempotency_key="rf")
    open_hold = services.hold(user=bob, amount=2, reference="job:2", idempotency_key="h2")
    services.release(hold_id=open_hold.pk, idempotency_key="rel")

    since = timezone.now() - timedelta(minutes=1)
    with django_assert_num_queries(1):
        totals = selectors.credit_totals(since=since)

    # spent: 4 used + 5 captured; the transfer moved credits, the release gave them back
    assert totals == selectors.CreditTotals(granted=10, purchased=20, spent=9, refunded=1)
    assert selectors.credit_totals(since=timezone.now() + timedelta(minutes=1)) == (
        selectors.CreditTotals(granted=0, purchased=0, spent=0, refunded=0)
    )
    assert selectors.credit_totals(since=since, until=since) == selectors.CreditTotals(
        granted=0, purchased=0, spent=0, refunded=0
    )
