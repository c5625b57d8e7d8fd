"""Helpers for any test that moves credits (this app's and the apps that use it)."""

from credits.selectors import ledger_mismatches


def assert_ledger_balanced() -> None:
    """Every account's balances equal the sums of its transactions, and `held` its open
    holds. Call it at the end of a test that moves credits."""
    mismatches = ledger_mismatches()
    assert mismatches == [], "\n".join(m.describe() for m in mismatches)
