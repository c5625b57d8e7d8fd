"""Reads of the credits app."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import F, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from accounts.models import User
from credits.models import CreditAccount, CreditHold, CreditTransaction


def account_get(*, user_id: int) -> CreditAccount | None:
    return CreditAccount.objects.filter(user_id=user_id).first()


def available_credits(*, user: User) -> int:
    """What the user may spend now: allowance plus purchased credits (GET /credits'
    `available`), in one query. A user whose account does not exist yet (it is created on
    first use) has their tier's monthly allowance, which the account will start with."""
    balances = (
        CreditAccount.objects.filter(user_id=user.pk).values_list("allowance", "purchased").first()
    )
    if balances is None:
        return int(settings.CREDITS_TIER_ALLOWANCES.get(user.tier, 0))
    allowance, purchased = balances
    return allowance + purchased


def transaction_list(*, user_id: int) -> QuerySet[CreditTransaction]:
    """A user's transactions, newest first."""
    return CreditTransaction.objects.filter(account__user_id=user_id).order_by("-created_at", "-id")


def hold_list(*, user_id: int, status: str | None = None) -> QuerySet[CreditHold]:
    holds = CreditHold.objects.filter(account__user_id=user_id)
    return holds.filter(status=status) if status else holds


def personal_data_export(*, user_id: int) -> dict[str, Any]:
    """The credits section of a user's data export: balances, every transaction (oldest
    first) and every hold, in three queries."""
    row = (
        CreditAccount.objects.filter(user_id=user_id)
        .values("allowance", "purchased", "held", "last_reset_period", "created_at")
        .first()
    )
    account: dict[str, Any] | None = None
    if row is not None:
        account = {**row, "available": row["allowance"] + row["purchased"]}
    transactions = (
        CreditTransaction.objects.filter(account__user_id=user_id)
        .order_by("created_at", "id")
        .values(
            "id",
            "kind",
            "allowance_delta",
            "purchased_delta",
            "held_delta",
            "expired_allowance",
            "balance_after",
            "reason",
            "reference",
            "created_at",
        )
    )
    holds = (
        CreditHold.objects.filter(account__user_id=user_id)
        .order_by("created_at", "id")
        .values(
            "id", "amount", "captured_amount", "status", "reference", "created_at", "settled_at"
        )
    )
    return {"account": account, "transactions": list(transactions), "holds": list(holds)}


@dataclass(frozen=True)
class LedgerMismatch:
    """An account whose stored balances disagree with its transactions (or whose `held`
    disagrees with its open holds)."""

    account_id: int
    user_id: int
    stored: dict[str, int]
    ledger: dict[str, int]
    open_holds: int

    def describe(self) -> str:
        parts = [
            f"{name} {self.stored[name]} != ledger {self.ledger[name]}"
            for name in ("allowance", "purchased", "held")
            if self.stored[name] != self.ledger[name]
        ]
        if self.stored["held"] != self.open_holds:
            parts.append(f"held {self.stored['held']} != open holds {self.open_holds}")
        return f"account {self.account_id} (user {self.user_id}): " + "; ".join(parts)


def ledger_mismatches() -> list[LedgerMismatch]:
    """Every account breaking the ledger invariant, in one set-based query: the transaction
    deltas summed per account (a grouped join) compared with the stored balances, and the
    open holds (a correlated sum) compared with `held`."""
    open_holds = (
        CreditHold.objects.filter(account=OuterRef("pk"), status=CreditHold.Status.OPEN)
        .values("account")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    rows = (
        CreditAccount.objects.annotate(
            ledger_allowance=Coalesce(Sum("transactions__allowance_delta"), 0),
            ledger_purchased=Coalesce(Sum("transactions__purchased_delta"), 0),
            ledger_held=Coalesce(Sum("transactions__held_delta"), 0),
            open_held=Coalesce(Subquery(open_holds, output_field=IntegerField()), 0),
        )
        .exclude(
            Q(allowance=F("ledger_allowance"))
            & Q(purchased=F("ledger_purchased"))
            & Q(held=F("ledger_held"))
            & Q(held=F("open_held"))
        )
        .order_by("pk")
        .values_list(
            "pk",
            "user_id",
            "allowance",
            "purchased",
            "held",
            "ledger_allowance",
            "ledger_purchased",
            "ledger_held",
            "open_held",
        )
    )
    return [
        LedgerMismatch(
            account_id=pk,
            user_id=user_id,
            stored={"allowance": allowance, "purchased": purchased, "held": held},
            ledger={
                "allowance": ledger_allowance,
                "purchased": ledger_purchased,
                "held": ledger_held,
            },
            open_holds=open_held,
        )
        for (
            pk,
            user_id,
            allowance,
            purchased,
            held,
            ledger_allowance,
            ledger_purchased,
            ledger_held,
            open_held,
        ) in rows
    ]


@dataclass(frozen=True)
class CreditTotals:
    """Credits moved over a period, across every account."""

    granted: int
    purchased: int
    spent: int
    refunded: int


def credit_totals(*, since: datetime, until: datetime | None = None) -> CreditTotals:
    """What moved from `since` until `until` (default: now), in one aggregate query:
    credits granted by staff, purchased, spent (usage, except the sending side of a
    transfer, plus captured holds) and refunded."""
    Kind = CreditTransaction.Kind
    transactions = CreditTransaction.objects.filter(created_at__gte=since)
    if until is not None:
        transactions = transactions.filter(created_at__lt=until)
    available_delta = F("allowance_delta") + F("purchased_delta")
    totals = transactions.aggregate(
        granted=Coalesce(Sum("purchased_delta", filter=Q(kind=Kind.GRANT)), 0),
        purchased=Coalesce(Sum("purchased_delta", filter=Q(kind=Kind.PURCHASE)), 0),
        used=Coalesce(
            Sum(available_delta, filter=Q(kind=Kind.USAGE, counterparty__isnull=True)), 0
        ),
        captured=Coalesce(Sum("held_delta", filter=Q(kind=Kind.CAPTURE)), 0),
        refunded=Coalesce(Sum(available_delta, filter=Q(kind=Kind.REFUND)), 0),
    )
    return CreditTotals(
        granted=totals["granted"],
        purchased=totals["purchased"],
        spent=-(totals["used"] + totals["captured"]),
        refunded=totals["refunded"],
    )
