from typing import Any

from django.core.management.base import BaseCommand, CommandError

from credits.models import CreditAccount
from credits.selectors import ledger_mismatches


class Command(BaseCommand):
    help = (
        "Verify that every credit account's balances equal the sums of its transactions "
        "(and `held` its open holds). Exits non-zero naming each account that does not."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        mismatches = ledger_mismatches()
        for mismatch in mismatches:
            self.stderr.write(mismatch.describe())
        if mismatches:
            accounts = ", ".join(str(m.account_id) for m in mismatches)
            raise CommandError(f"Ledger broken for {len(mismatches)} account(s): {accounts}")
        checked = CreditAccount.objects.count()
        self.stdout.write(f"Ledger balanced: {checked} account(s) checked.")
