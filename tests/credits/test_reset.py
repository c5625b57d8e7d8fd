import importlib

import pytest
from django.db import DatabaseError, OperationalError, connection
from django.db.migrations.executor import MigrationExecutor
from freezegun import freeze_time

from accounts.models import User
from config.errors import Conflict, ValidationFailed
from credits import services, tasks
from credits.models import CreditAccount, CreditTransaction
from tests.accounts.factories import StudentFactory
from tests.credits.factories import CreditAccountFactory

pytestmark = pytest.mark.django_db

Kind = CreditTransaction.Kind


def reset_transactions(period: str) -> list[tuple[int, int]]:
    return list(
        CreditTransaction.objects.filter(
            kind=Kind.MONTHLY_RESET, idempotency_key=f"monthly_reset:{period}"
        )
        .order_by("account_id")
        .values_list("account_id", "allowance_delta")
    )


@pytest.fixture
def october_accounts():
    """Five accounts opened in October 2026: two free ones that spent credits, one pro
    with an untouched allowance, one pro that spent, one enterprise."""
    with freeze_time("2026-10-15 12:00:00"):
        free_spent = CreditAccountFactory(purchased=4)
        free_spent_all = CreditAccountFactory()
        pro_untouched = CreditAccountFactory(user=StudentFactory(tier=User.Tier.PRO))
        pro_spent = CreditAccountFactory(user=StudentFactory(tier=User.Tier.PRO))
        enterprise = CreditAccountFactory(user=StudentFactory(tier=User.Tier.ENTERPRISE))
        services.deduct_credits(user=free_spent.user, amount=5, idempotency_key="u1")
        services.deduct_credits(user=free_spent_all.user, amount=3, idempotency_key="u2")
        services.deduct_credits(user=pro_spent.user, amount=10, idempotency_key="u3")
        services.hold(user=enterprise.user, amount=100, reference="job:1", idempotency_key="h")
    return [free_spent, free_spent_all, pro_untouched, pro_spent, enterprise]


def allowances(accounts) -> list[tuple[int, int, int, str]]:
    rows = []
    for account in accounts:
        account.refresh_from_db()
        rows.append((account.allowance, account.purchased, account.held, account.last_reset_period))
    return rows


def test_reset_restores_tier_allowances_and_writes_one_transaction_per_changed_account(
    october_accounts,
):
    free_spent, free_spent_all, _, pro_spent, enterprise = october_accounts

    result = services.reset_monthly_credits(period="2026-11", batch_size=2)

    assert (result.accounts_claimed, result.transactions_written) == (5, 4)
    assert allowances(october_accounts) == [
        (3, 2, 0, "2026-11"),
        (3, 0, 0, "2026-11"),
        (30, 0, 0, "2026-11"),
        (30, 0, 0, "2026-11"),
        (1000, 0, 100, "2026-11"),
    ]
    assert reset_transactions("2026-11") == [
        (free_spent.pk, 3),
        (free_spent_all.pk, 3),
        (pro_spent.pk, 10),
        (enterprise.pk, 100),
    ]
    txn = CreditTransaction.objects.get(account=pro_spent, idempotency_key="monthly_reset:2026-11")
    assert txn.balance_after == 30


def test_reset_twice_in_a_month_changes_nothing_more(october_accounts):
    services.reset_monthly_credits(period="2026-11")
    before = allowances(october_accounts)
    count = CreditTransaction.objects.count()

    again = services.reset_monthly_credits(period="2026-11")

    assert (again.accounts_claimed, again.transactions_written) == (0, 0)
    assert allowances(october_accounts) == before
    assert CreditTransaction.objects.count() == count


def test_reset_resumes_after_a_crash_half_way(october_accounts, monkeypatch):
    real_bulk_create = CreditTransaction.objects.bulk_create
    calls = []

    def crash_on_second_batch(objs, *args, **kwargs):
        calls.append(len(objs))
        if len(calls) == 2:
            raise DatabaseError("worker killed")
        return real_bulk_create(objs, *args, **kwargs)

    monkeypatch.setattr(CreditTransaction.objects, "bulk_create", crash_on_second_batch)
    with pytest.raises(DatabaseError):
        services.reset_monthly_credits(period="2026-11", batch_size=2)

    # The first batch committed; the second rolled back whole (UPDATE included).
    assert [row[3] for row in allowances(october_accounts)] == [
        "2026-11",
        "2026-11",
        "2026-10",
        "2026-10",
        "2026-10",
    ]
    assert len(reset_transactions("2026-11")) == 2

    monkeypatch.setattr(CreditTransaction.objects, "bulk_create", real_bulk_create)
    resumed = services.reset_monthly_credits(period="2026-11", batch_size=2)

    assert (resumed.accounts_claimed, resumed.transactions_written) == (3, 2)
    assert [row[0] for row in allowances(october_accounts)] == [3, 3, 30, 30, 1000]
    assert len(reset_transactions("2026-11")) == 4


def test_reset_follows_tier_changes_down_as_well_as_up(october_accounts):
    pro_untouched = october_accounts[2]
    User.objects.filter(pk=pro_untouched.user_id).update(tier=User.Tier.FREE)

    services.reset_monthly_credits(period="2026-11")

    pro_untouched.refresh_from_db()
    assert pro_untouched.allowance == 3
    assert reset_transactions("2026-11")[2] == (pro_untouched.pk, -27)


def test_accounts_opened_in_the_period_are_left_alone():
    with freeze_time("2026-11-01 08:00:00"):
        account = CreditAccountFactory()
        services.deduct_credits(user=account.user, amount=2, idempotency_key="u")
        result = services.reset_monthly_credits()
    assert (result.period, result.accounts_claimed) == ("2026-11", 0)
    account.refresh_from_db()
    assert account.allowance == 1


def test_an_older_period_changes_nothing(october_accounts):
    services.reset_monthly_credits(period="2026-11")
    count = CreditTransaction.objects.count()
    assert services.reset_monthly_credits(period="2026-10").accounts_claimed == 0
    assert CreditTransaction.objects.count() == count


@pytest.mark.parametrize("period", ["2026-13", "2026-1", "november", "2026-11-01"])
def test_invalid_period_is_refused(period, october_accounts):
    with pytest.raises(ValidationFailed):
        services.reset_monthly_credits(period=period)
    assert set(CreditAccount.objects.values_list("last_reset_period", flat=True)) == {"2026-10"}


def test_task_resets_the_current_month_in_time_zone(october_accounts, settings):
    settings.TIME_ZONE = "America/New_York"
    # 03:00 UTC on Nov 1 is still October 31 in New York: nothing to do yet.
    with freeze_time("2026-11-01 03:00:00"):
        assert tasks.reset_monthly_credits.delay().get() == 0
    with freeze_time("2026-11-01 05:00:00"):
        assert tasks.reset_monthly_credits.delay().get() == 4
    assert {a[3] for a in allowances(october_accounts)} == {"2026-11"}


def test_task_retries_a_database_failure_with_the_same_period(october_accounts, monkeypatch):
    real_reset = services.reset_monthly_credits
    periods = []

    def fail_once(*, period, **kwargs):
        periods.append(period)
        if len(periods) == 1:
            raise OperationalError("connection lost")
        return real_reset(period=period, **kwargs)

    monkeypatch.setattr(services, "reset_monthly_credits", fail_once)
    with freeze_time("2026-11-01 00:00:05"):
        result = tasks.reset_monthly_credits.apply(throw=False)

    assert periods == ["2026-11", "2026-11"]
    assert (result.state, result.result) == ("SUCCESS", 4)
    assert {a[3] for a in allowances(october_accounts)} == {"2026-11"}


# --- allowance held or spent before a reset expires with it ------------------------------


def balances(account) -> tuple[int, int, int]:
    account.refresh_from_db()
    return account.allowance, account.purchased, account.held


def test_allowance_held_before_a_reset_is_not_returned_by_a_release_after_it():
    with freeze_time("2026-10-15 12:00:00"):
        account = CreditAccountFactory()
        held = services.hold(user=account.user, amount=3, reference="job:1", idempotency_key="h")
    services.reset_monthly_credits(period="2026-11")

    services.release(hold_id=held.pk, idempotency_key="r", reason="job cancelled")
    services.release(hold_id=held.pk, idempotency_key="r")

    assert balances(account) == (3, 0, 0)
    release = CreditTransaction.objects.get(account=account, kind=Kind.RELEASE)
    assert (
        release.allowance_delta,
        release.purchased_delta,
        release.held_delta,
        release.expired_allowance,
        release.balance_after,
    ) == (0, 0, -3, 3, 3)
    assert release.reason == (
        "job cancelled (3 allowance credit(s) expired: their month's allowance was reset since)"
    )
    held.refresh_from_db()
    assert (held.status, held.allowance_period) == ("released", "2026-10")


def test_purchased_part_of_a_hold_still_comes_back_after_a_reset():
    with freeze_time("2026-10-15 12:00:00"):
        account = CreditAccountFactory(purchased=10)
        held = services.hold(user=account.user, amount=5, reference="job:1", idempotency_key="h")
    services.reset_monthly_credits(period="2026-11")

    services.release(hold_id=held.pk, idempotency_key="r")

    assert balances(account) == (3, 10, 0)
    release = CreditTransaction.objects.get(account=account, kind=Kind.RELEASE)
    assert (release.allowance_delta, release.purchased_delta, release.expired_allowance) == (
        0,
        2,
        3,
    )


def test_partial_capture_after_a_reset_does_not_return_the_expired_allowance():
    with freeze_time("2026-10-15 12:00:00"):
        account = CreditAccountFactory(purchased=10)
        held = services.hold(user=account.user, amount=5, reference="job:1", idempotency_key="h")
        # 3 from October's allowance, 2 purchased
    services.reset_monthly_credits(period="2026-11")

    services.capture(hold_id=held.pk, amount=1, idempotency_key="c")

    assert balances(account) == (3, 10, 0)
    release = CreditTransaction.objects.get(account=account, kind=Kind.RELEASE)
    assert (
        release.idempotency_key,
        release.allowance_delta,
        release.purchased_delta,
        release.held_delta,
        release.expired_allowance,
    ) == ("c:release", 0, 2, -4, 2)
    assert release.reason == (
        "Uncaptured part of the hold (2 allowance credit(s) expired: their month's allowance "
        "was reset since)"
    )


def test_refund_after_a_reset_does_not_return_an_earlier_months_allowance():
    with freeze_time("2026-10-15 12:00:00"):
        account = CreditAccountFactory(purchased=10)
        services.deduct_credits(
            user=account.user, amount=5, reference="job:1", idempotency_key="u"
        )  # 3 from October's allowance, 2 purchased
    services.reset_monthly_credits(period="2026-11")

    refund = services.refund(user=account.user, amount=5, reference="job:1", idempotency_key="r")
    again = services.refund(user=account.user, amount=5, reference="job:1", idempotency_key="r")

    assert again.pk == refund.pk
    assert (
        refund.allowance_delta,
        refund.purchased_delta,
        refund.expired_allowance,
        refund.allowance_period,
    ) == (0, 2, 3, "2026-11")
    assert balances(account) == (3, 10, 0)
    with pytest.raises(Conflict) as caught:
        services.refund(user=account.user, amount=1, reference="job:1", idempotency_key="r2")
    assert caught.value.extra == {"refundable": 0}
    assert balances(account) == (3, 10, 0)


def test_refund_returns_purchased_then_this_months_allowance_then_lets_the_rest_expire():
    with freeze_time("2026-10-15 12:00:00"):
        account = CreditAccountFactory()
        services.deduct_credits(
            user=account.user, amount=2, reference="job:1", idempotency_key="u1"
        )
    services.reset_monthly_credits(period="2026-11")
    services.deduct_credits(user=account.user, amount=2, reference="job:1", idempotency_key="u2")

    first = services.refund(user=account.user, amount=3, reference="job:1", idempotency_key="r1")
    second = services.refund(user=account.user, amount=1, reference="job:1", idempotency_key="r2")

    assert (first.allowance_delta, first.expired_allowance) == (2, 1)
    assert (second.allowance_delta, second.expired_allowance) == (0, 1)
    assert balances(account) == (3, 0, 0)


def test_refund_of_a_hold_captured_before_a_reset_lets_its_allowance_expire():
    with freeze_time("2026-10-15 12:00:00"):
        account = CreditAccountFactory(purchased=10)
        held = services.hold(user=account.user, amount=5, reference="job:1", idempotency_key="h")
        services.capture(hold_id=held.pk, amount=4, idempotency_key="c")
        # captured 3 allowance + 1 purchased; 1 purchased released
    services.reset_monthly_credits(period="2026-11")

    refund = services.refund(user=account.user, amount=4, reference="job:1", idempotency_key="r")

    assert (refund.allowance_delta, refund.purchased_delta, refund.expired_allowance) == (0, 1, 3)
    assert balances(account) == (3, 10, 0)


def test_migration_stamps_rows_written_before_periods_were_recorded(settings):
    settings.TIME_ZONE = "Europe/Paris"
    migration = importlib.import_module("credits.migrations.0003_allowance_period_and_expiry")
    state = MigrationExecutor(connection).loader.project_state(
        ("credits", "0003_allowance_period_and_expiry")
    )
    with freeze_time("2026-10-01 12:00:00"):
        account = CreditAccountFactory()
        services.deduct_credits(user=account.user, amount=1, idempotency_key="u")
    services.reset_monthly_credits(period="2026-11")
    with freeze_time("2026-11-30 23:30:00"):  # 00:30 on 1 December in Paris
        held = services.hold(user=account.user, amount=2, reference="job:1", idempotency_key="h")
    for name in ("CreditHold", "CreditTransaction"):
        state.apps.get_model("credits", name).objects.update(allowance_period="")

    migration.record_allowance_periods(state.apps, None)

    held.refresh_from_db()
    assert held.allowance_period == "2026-12"
    assert list(
        CreditTransaction.objects.filter(account=account)
        .order_by("pk")
        .values_list("kind", "allowance_period")
    ) == [
        ("monthly_reset", "2026-10"),
        ("usage", "2026-10"),
        ("monthly_reset", "2026-11"),
        ("hold", "2026-12"),
    ]
