"""The credit ledger: one account per user, an append-only list of transactions, and holds.

Invariants (checked by `manage.py check_ledger` and `selectors.ledger_mismatches`):
- for every account, `allowance`, `purchased` and `held` each equal the sum of the matching
  delta over the account's transactions;
- `held` equals what its open holds still reserve;
- no balance is ever negative (database check constraints).

Available credits are `allowance + purchased`: a hold moves credits out of those two buckets
into `held`, so they stop being available until captured (spent) or released (returned).

Allowance credits belong to a month (`CreditAccount.last_reset_period`). Holds and
transactions record that month (`allowance_period`); allowance credits taken in a month
whose allowance was reset since have expired, so a release or refund after the reset does
not return them to the new allowance. It records them as `expired_allowance` instead."""

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q


class LedgerIsAppendOnly(Exception):
    """Raised on any attempt to change or delete a ledger transaction. Corrections are new
    transactions."""


class CreditAccount(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="credit_account"
    )
    allowance = models.IntegerField(
        default=0, help_text="This month's tier allowance left; reset on the 1st."
    )
    purchased = models.IntegerField(
        default=0, help_text="Bought, granted or received credits; they never expire."
    )
    held = models.IntegerField(default=0, help_text="Reserved by open holds; not available.")
    last_reset_period = models.CharField(
        max_length=7,
        blank=True,
        default="",
        help_text="The last month (YYYY-MM) whose allowance this account received.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(allowance__gte=0), name="credit_account_allowance_non_negative"
            ),
            models.CheckConstraint(
                condition=Q(purchased__gte=0), name="credit_account_purchased_non_negative"
            ),
            models.CheckConstraint(
                condition=Q(held__gte=0), name="credit_account_held_non_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"credit account of user {self.user_id}"

    @property
    def available(self) -> int:
        return self.allowance + self.purchased


class CreditHold(models.Model):
    """Credits reserved for work whose final cost is not known yet (a generation job).

    `allowance_amount` is the part of `amount` taken from the allowance (the rest came from
    purchased credits), so that a capture spends the allowance part first and a release
    returns each part to the bucket it came from. `allowance_period` is the month of the
    allowance it was taken from: once that allowance is reset, the allowance part expires
    instead of coming back."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CAPTURED = "captured", "Captured"
        RELEASED = "released", "Released"

    account = models.ForeignKey(CreditAccount, on_delete=models.PROTECT, related_name="holds")
    amount = models.IntegerField()
    allowance_amount = models.IntegerField(default=0)
    allowance_period = models.CharField(
        max_length=7,
        blank=True,
        default="",
        help_text="The month (YYYY-MM) of the allowance `allowance_amount` was taken from.",
    )
    captured_amount = models.IntegerField(default=0)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    reference = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["account", "status"], name="credit_hold_account_status")]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="credit_hold_amount_positive"),
            models.CheckConstraint(
                condition=Q(allowance_amount__gte=0, allowance_amount__lte=models.F("amount")),
                name="credit_hold_allowance_amount_within_amount",
            ),
            models.CheckConstraint(
                condition=Q(captured_amount__gte=0, captured_amount__lte=models.F("amount")),
                name="credit_hold_captured_within_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"hold {self.pk} of {self.amount} ({self.status})"


class CreditTransactionQuerySet(models.QuerySet["CreditTransaction"]):
    def update(self, **kwargs: Any) -> int:
        raise LedgerIsAppendOnly("Credit transactions cannot be updated.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise LedgerIsAppendOnly("Credit transactions cannot be deleted.")


class CreditTransaction(models.Model):
    """One change to an account: a signed delta per bucket. Append-only: the model refuses
    updates and deletes; corrections are new transactions.

    `balance_after` is the account's available credits (allowance + purchased) right after
    this transaction. `idempotency_key` is unique per account: a service called again with
    the same key returns the transaction it wrote the first time.

    `allowance_period` is the account's allowance month when it was written (allowance a
    usage spends belongs to that month). `expired_allowance` counts the allowance credits a
    release or refund did not return because their month's allowance was reset since: for
    a release they leave `held` without coming back (held_delta covers them, allowance_delta
    does not), for a refund they are refunded into nothing. No bucket holds them, so the
    ledger invariant is unaffected."""

    class Kind(models.TextChoices):
        PURCHASE = "purchase", "Purchase"
        GRANT = "grant", "Grant"
        USAGE = "usage", "Usage"
        HOLD = "hold", "Hold"
        CAPTURE = "capture", "Capture"
        RELEASE = "release", "Release"
        REFUND = "refund", "Refund"
        MONTHLY_RESET = "monthly_reset", "Monthly reset"
        ADJUSTMENT = "adjustment", "Adjustment"
        TRANSFER = "transfer", "Transfer received"

    account = models.ForeignKey(
        CreditAccount, on_delete=models.PROTECT, related_name="transactions"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    allowance_delta = models.IntegerField(default=0)
    purchased_delta = models.IntegerField(default=0)
    held_delta = models.IntegerField(default=0)
    expired_allowance = models.PositiveIntegerField(
        default=0, help_text="Allowance credits not returned: their month's allowance expired."
    )
    allowance_period = models.CharField(
        max_length=7,
        blank=True,
        default="",
        help_text="The account's allowance month (YYYY-MM) when this was written.",
    )
    balance_after = models.IntegerField()
    reason = models.CharField(max_length=500, blank=True)
    reference = models.CharField(max_length=200, blank=True)
    idempotency_key = models.CharField(max_length=200)
    hold = models.ForeignKey(
        CreditHold, null=True, blank=True, on_delete=models.PROTECT, related_name="transactions"
    )
    counterparty = models.ForeignKey(
        CreditAccount,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The other account of a transfer.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The staff member or user who caused it; empty for the system.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CreditTransactionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "idempotency_key"], name="credit_transaction_unique_key"
            ),
        ]
        indexes = [
            models.Index(
                fields=["account", "-created_at", "-id"], name="credit_txn_account_history"
            ),
            models.Index(fields=["account", "reference"], name="credit_txn_account_reference"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} on account {self.account_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise LedgerIsAppendOnly("Credit transactions cannot be updated.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise LedgerIsAppendOnly("Credit transactions cannot be deleted.")

    @property
    def available_delta(self) -> int:
        return self.allowance_delta + self.purchased_delta


class ProcessedPaymentEvent(models.Model):
    """A payment provider event that credited an account. `event_id` is unique across all
    accounts (idempotency keys are only unique per account): an event is credited once, to
    one account, whatever user id a later delivery names."""

    event_id = models.CharField(max_length=200, unique=True)
    transaction = models.OneToOneField(
        CreditTransaction, on_delete=models.PROTECT, related_name="payment_event"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"payment event {self.event_id}"
