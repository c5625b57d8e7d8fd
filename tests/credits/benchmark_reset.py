"""Benchmark of the monthly reset and the ledger check (not a test; not collected).

Creates a throwaway test database, fills it with N users and credit accounts whose ledgers
balance (three quarters have spent part of their allowance, so their reset writes a
transaction), then times `reset_monthly_credits`, a second run (a no-op), and the ledger
check. Run it against PostgreSQL:

    DATABASE_URL=postgres://USER@HOST:5432/NAME \\
        python -m tests.credits.benchmark_reset --accounts 100000
"""

import argparse
import os
import time


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--batch-size", type=int, default=None)
    arguments = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django

    django.setup()

    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        run(arguments.accounts, arguments.batch_size)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def run(count: int, batch_size: int | None) -> None:
    from django.core.management import call_command
    from django.db import connection

    from accounts.models import User
    from credits import services
    from credits.models import CreditAccount, CreditTransaction
    from credits.selectors import ledger_mismatches

    tiers = ["free"] * 8 + ["pro"] + ["enterprise"]
    started = time.perf_counter()
    User.objects.bulk_create(
        [
            User(
                username=f"bench{i}",
                email=f"bench{i}@example.com",
                password="!",
                tier=tiers[i % len(tiers)],
            )
            for i in range(count)
        ],
        batch_size=5000,
    )
    users = list(User.objects.order_by("id").values_list("id", "tier"))
    accounts = []
    for index, (user_id, tier) in enumerate(users):
        spent = index % 4
        allowance = max(services.tier_monthly_allowance(tier) - spent, 0)
        accounts.append(
            CreditAccount(
                user_id=user_id, allowance=allowance, purchased=5, last_reset_period="2026-10"
            )
        )
    CreditAccount.objects.bulk_create(accounts, batch_size=5000)
    transactions = []
    for account_id, allowance in CreditAccount.objects.values_list("id", "allowance"):
        transactions.append(
            CreditTransaction(
                account_id=account_id,
                kind="purchase",
                purchased_delta=5,
                balance_after=5,
                idempotency_key="bench:purchase",
            )
        )
        transactions.append(
            CreditTransaction(
                account_id=account_id,
                kind="grant",
                allowance_delta=allowance,
                balance_after=allowance + 5,
                idempotency_key="bench:allowance",
            )
        )
    CreditTransaction.objects.bulk_create(transactions, batch_size=5000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"setup: {count} accounts in {time.perf_counter() - started:.1f}s")

    started = time.perf_counter()
    result = services.reset_monthly_credits(period="2026-11", batch_size=batch_size)
    elapsed = time.perf_counter() - started
    print(
        f"reset: {result.accounts_claimed} accounts claimed, "
        f"{result.transactions_written} transactions written in {elapsed:.2f}s"
    )

    started = time.perf_counter()
    again = services.reset_monthly_credits(period="2026-11", batch_size=batch_size)
    print(f"reset again: {again.accounts_claimed} claimed in {time.perf_counter() - started:.2f}s")

    started = time.perf_counter()
    mismatches = ledger_mismatches()
    print(
        f"ledger_mismatches: {len(mismatches)} mismatches in {time.perf_counter() - started:.2f}s"
    )
    started = time.perf_counter()
    call_command("check_ledger")
    print(f"check_ledger: {time.perf_counter() - started:.2f}s")


if __name__ == "__main__":
    main()
