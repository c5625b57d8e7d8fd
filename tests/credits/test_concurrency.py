"""Real threads, each with its own PostgreSQL connection, racing on one account."""

import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from credits import services
from credits.models import CreditAccount, CreditHold, CreditTransaction, ProcessedPaymentEvent
from tests.accounts.factories import MentorFactory, StudentFactory
from tests.credits.factories import CreditAccountFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_concurrently(count: int, work: Callable[[int], Any]) -> list[Any]:
    """Start `count` threads together; each returns work(i) or the exception it raised."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def runner(index: int) -> None:
        try:
            barrier.wait()
            results[index] = work(index)
        except Exception as exc:
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.fixture
def account_with_100():
    """An account with exactly 100 available: the free allowance of 3 plus 97 bought."""
    account = CreditAccountFactory(purchased=97)
    assert account.available == 100
    return account


def outcome(results: list[Any]) -> Counter:
    return Counter(type(result).__name__ for result in results)


def test_twenty_threads_deducting_ten_from_a_hundred(account_with_100):
    user = account_with_100.user

    results = run_concurrently(
        20,
        lambda i: services.deduct_credits(user=user, amount=10, idempotency_key=f"job:{i}"),
    )

    assert outcome(results) == {"CreditTransaction": 10, "InsufficientCredits": 10}
    account_with_100.refresh_from_db()
    assert (account_with_100.available, account_with_100.held) == (0, 0)
    assert CreditTransaction.objects.filter(account=account_with_100, kind="usage").count() == 10
    assert sorted(r.balance_after for r in results if isinstance(r, CreditTransaction)) == list(
        range(0, 100, 10)
    )


def test_concurrent_holds_never_over_commit(account_with_100):
    user = account_with_100.user

    results = run_concurrently(
        20,
        lambda i: services.hold(
            user=user, amount=15, reference=f"job:{i}", idempotency_key=f"hold:{i}"
        ),
    )

    assert outcome(results) == {"CreditHold": 6, "InsufficientCredits": 14}
    account_with_100.refresh_from_db()
    assert (account_with_100.available, account_with_100.held) == (10, 90)
    assert CreditHold.objects.filter(account=account_with_100, status="open").count() == 6


def test_concurrent_captures_and_releases_of_one_hold_settle_it_once(account_with_100):
    user = account_with_100.user
    held = services.hold(user=user, amount=40, reference="job:1", idempotency_key="h")

    settlements = [
        lambda i: services.capture(hold_id=held.pk, amount=30, idempotency_key=f"c{i}"),
        lambda i: services.release(hold_id=held.pk, idempotency_key=f"r{i}"),
    ] * 5

    results = run_concurrently(10, lambda i: settlements[i](i))

    assert outcome(results) == {"CreditHold": 1, "Conflict": 9}
    account_with_100.refresh_from_db()
    assert account_with_100.held == 0
    assert account_with_100.available in {70, 100}


def test_a_repeated_idempotency_key_applies_once(account_with_100):
    user = account_with_100.user

    results = run_concurrently(
        10, lambda i: services.add_credits(user=user, amount=25, idempotency_key="payment:evt_1")
    )

    assert outcome(results) == {"CreditTransaction": 10}
    assert len({result.pk for result in results}) == 1
    account_with_100.refresh_from_db()
    assert account_with_100.available == 125
    assert CreditTransaction.objects.filter(idempotency_key="payment:evt_1").count() == 1


def test_a_repeated_deduction_key_applies_once(account_with_100):
    user = account_with_100.user

    results = run_concurrently(
        10, lambda i: services.deduct_credits(user=user, amount=30, idempotency_key="job:1")
    )

    assert outcome(results) == {"CreditTransaction": 10}
    assert len({result.pk for result in results}) == 1
    account_with_100.refresh_from_db()
    assert (account_with_100.available, account_with_100.held) == (70, 0)
    usage = CreditTransaction.objects.filter(account=account_with_100, kind="usage")
    assert list(usage.values_list("pk", "idempotency_key")) == [(results[0].pk, "job:1")]


def test_opposite_transfers_do_not_deadlock():
    student = CreditAccountFactory(purchased=97)
    mentor = CreditAccountFactory(user=MentorFactory(), purchased=97)

    directions = [(student.user, mentor.user), (mentor.user, student.user)] * 5

    results = run_concurrently(
        10,
        lambda i: services.transfer(
            sender=directions[i][0],
            receiver=directions[i][1],
            amount=5,
            reference=f"s:{i}",
            idempotency_key=f"t{i}",
        ),
    )

    assert outcome(results) == {"Transfer": 10}
    student.refresh_from_db()
    mentor.refresh_from_db()
    assert (student.available, mentor.available) == (100, 100)


def test_first_use_by_many_threads_creates_one_account():
    user = StudentFactory()  # predates the app: no account

    results = run_concurrently(
        8, lambda i: services.deduct_credits(user=user, amount=1, idempotency_key=f"u{i}")
    )

    assert outcome(results) == {"CreditTransaction": 3, "InsufficientCredits": 5}
    assert CreditAccount.objects.filter(user=user).count() == 1


def test_reset_racing_with_spending_loses_nothing():
    accounts = [CreditAccountFactory(purchased=10) for _ in range(6)]

    work = [
        lambda: services.reset_monthly_credits(period="2099-01", batch_size=2),
        *(
            lambda account=account: services.deduct_credits(
                user=account.user, amount=2, idempotency_key="u"
            )
            for account in accounts
        ),
    ]

    results = run_concurrently(7, lambda i: work[i]())

    assert outcome(results) == {"ResetResult": 1, "CreditTransaction": 6}
    assert set(
        CreditAccount.objects.filter(pk__in=[a.pk for a in accounts]).values_list(
            "last_reset_period", "allowance"
        )
    ) <= {("2099-01", 3), ("2099-01", 1)}
    # Each account ends on the new allowance (reset after the spend) or the new allowance
    # minus 2 (spend after the reset); the ledger check after the test proves no credit was
    # lost or counted twice either way.


def test_one_payment_event_delivered_for_two_users_at_once_credits_one():
    accounts = [CreditAccountFactory(), CreditAccountFactory()]

    results = run_concurrently(
        2,
        lambda i: services.payment_event_apply(
            event_id="evt_race",
            event_type=services.PAYMENT_SUCCEEDED,
            user_id=accounts[i].user_id,
            credits=50,
            amount_cents=1999,
        ),
    )

    assert outcome(results) == {"CreditTransaction": 1, "Conflict": 1}
    assert [r.code for r in results if isinstance(r, Exception)] == [
        "payment_event_already_applied"
    ]
    assert sorted(
        CreditAccount.objects.filter(pk__in=[a.pk for a in accounts]).values_list(
            "purchased", flat=True
        )
    ) == [0, 50]
    assert CreditTransaction.objects.filter(kind="purchase").count() == 1
    assert ProcessedPaymentEvent.objects.get().event_id == "evt_race"
