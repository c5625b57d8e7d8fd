"""Writes of the credits app, and the functions other apps call to move credits.

Every function that moves credits:
- runs in one database transaction and locks the account row first (`_lock_account`), so
  concurrent calls on one account apply one after the other and never over-spend;
- takes an `idempotency_key` (unique per account): called again with the same key it returns
  what the first call returned and changes nothing. Reusing a key for a different operation
  or amount is a Conflict;
- changes balances only through `_append`, which writes the transaction that explains the
  change, so each balance always equals the sum of its transactions' deltas.

Spending and holds take from the allowance first, then from purchased credits.

Allowance credits expire with their month. Each hold and transaction records the
account's allowance month (`allowance_period`, the account's `last_reset_period`) when it
took credits. A release, the released remainder of a capture, or a refund returns allowance
credits to the allowance only while that month's allowance is still the account's current
one; after a monthly reset they are not returned (the new allowance is the tier's, whatever
was held or spent before). The transaction records them as `expired_allowance` and says so
in its reason: `held` still drops by the whole hold, `allowance` does not grow, so every
balance still equals the sum of its deltas."""

import hashlib
import hmac
import logging
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, IntegrityError, transaction
from django.db.models import Case, F, Q, Sum, Value, When
from django.utils import timezone
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from accounts.models import Notification, User
from accounts.services import audit_record, notify
from config.errors import (
    Conflict,
    NotFound,
    PaymentRequired,
    PermissionDenied,
    ServiceUnavailable,
    ValidationFailed,
)
from credits.models import CreditAccount, CreditHold, CreditTransaction, ProcessedPaymentEvent

logger = logging.getLogger(__name__)

Kind = CreditTransaction.Kind

MONTHLY_RESET_SCHEDULE_NAME = "credits-monthly-reset"
MAX_IDEMPOTENCY_KEY_LENGTH = 180
_PERIOD_PATTERN = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_TIER_PRIORITIES: dict[str, int] = {User.Tier.FREE: 1, User.Tier.PRO: 2, User.Tier.ENTERPRISE: 3}


class InsufficientCredits(PaymentRequired):
    """Not enough available credits; the API answers 402 with `required` and `available`."""

    code = "insufficient_credits"
    default_message = "Not enough credits."

    def __init__(self, *, required: int, available: int):
        self.required = required
        self.available = available
        super().__init__(
            f"Not enough credits: {required} required, {available} available.",
            required=required,
            available=available,
        )


@dataclass(frozen=True)
class Balance:
    allowance: int
    purchased: int
    held: int

    @property
    def available(self) -> int:
        return self.allowance + self.purchased


@dataclass(frozen=True)
class Transfer:
    """Both sides of a transfer: `usage` on the sender, `transfer` on the receiver."""

    debit: CreditTransaction
    credit: CreditTransaction


@dataclass(frozen=True)
class ResetResult:
    period: str
    accounts_claimed: int
    transactions_written: int


# --- tiers and periods ----------------------------------------------------------------------


def tier_monthly_allowance(tier: str) -> int:
    """The monthly allowance of a tier (settings.CREDITS_TIER_ALLOWANCES); 0 if unknown."""
    return int(settings.CREDITS_TIER_ALLOWANCES.get(tier, 0))


def tier_default_priority(tier: str) -> int:
    """Default job priority of a tier: free 1 (low), pro 2 (normal), enterprise 3 (high)."""
    return _TIER_PRIORITIES.get(tier, 1)


def current_period(now: datetime | None = None) -> str:
    """The month ("YYYY-MM") that `now` falls in, in TIME_ZONE."""
    return timezone.localtime(now).strftime("%Y-%m")


def next_reset_at(now: datetime | None = None) -> datetime:
    """Midnight (TIME_ZONE) of the first day of the month after `now`."""
    local = timezone.localtime(now)
    year, month = (local.year + 1, 1) if local.month == 12 else (local.year, local.month + 1)
    return local.replace(
        year=year, month=month, day=1, hour=0, minute=0, second=0, microsecond=0, fold=0
    )


# --- accounts -------------------------------------------------------------------------------


@transaction.atomic
def account_create(*, user: User) -> CreditAccount:
    """Create the user's account with this month's tier allowance (a `monthly_reset`
    transaction keyed by the period, so the monthly reset skips it this month).

    Safe to call for a user who already has an account (returns it) and under concurrency
    (the one-to-one constraint decides; the loser reads the winner's row)."""
    existing = CreditAccount.objects.filter(user_id=user.pk).first()
    if existing is not None:
        return existing
    period = current_period()
    allowance = tier_monthly_allowance(user.tier)
    try:
        with transaction.atomic():
            account = CreditAccount.objects.create(
                user=user, allowance=allowance, last_reset_period=period
            )
    except IntegrityError:
        return CreditAccount.objects.get(user_id=user.pk)
    if allowance:
        CreditTransaction.objects.create(
            account=account,
            kind=Kind.MONTHLY_RESET,
            allowance_delta=allowance,
            balance_after=account.available,
            reason=f"Monthly allowance for {period} ({user.tier})",
            idempotency_key=f"monthly_reset:{period}",
            allowance_period=period,
        )
    return account


def _lock_account(user_id: int) -> CreditAccount:
    """Lock the user's account row for the rest of the transaction (creating the account for
    a user who predates the credits app). The one place where accounts are locked."""
    try:
        return CreditAccount.objects.select_for_update().get(user_id=user_id)
    except CreditAccount.DoesNotExist:
        pass
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        raise NotFound("No such user.", code="user_not_found")
    account_create(user=user)
    return CreditAccount.objects.select_for_update().get(user_id=user_id)


def get_balance(*, user: User) -> Balance:
    account = CreditAccount.objects.filter(user_id=user.pk).first()
    if account is None:
        account = account_create(user=user)
    return Balance(allowance=account.allowance, purchased=account.purchased, held=account.held)


def check_sufficient(*, user: User, amount: int) -> bool:
    """Whether `amount` credits are available now. Advisory only: spend with
    `deduct_credits` or `hold`, which check again under the lock."""
    return get_balance(user=user).available >= amount


# --- internals ------------------------------------------------------------------------------


def _validate_amount(amount: int) -> None:
    maximum = settings.CREDITS_MAX_AMOUNT
    if isinstance(amount, bool) or not isinstance(amount, int) or not 1 <= amount <= maximum:
        raise ValidationFailed(
            "Invalid input: amount.",
            errors={"amount": [f"A whole number between 1 and {maximum} is required."]},
        )


def _validate_key(idempotency_key: str) -> None:
    if not idempotency_key or len(idempotency_key) > MAX_IDEMPOTENCY_KEY_LENGTH:
        raise ValidationFailed(
            "Invalid input: idempotency_key.",
            errors={
                "idempotency_key": [f"Required, at most {MAX_IDEMPOTENCY_KEY_LENGTH} characters."]
            },
        )


def _nominal_amount(txn: CreditTransaction) -> int:
    return max(abs(txn.available_delta) + txn.expired_allowance, abs(txn.held_delta))


def _replay(
    account: CreditAccount, idempotency_key: str, *, kind: str, amount: int | None
) -> CreditTransaction | None:
    """The transaction an earlier call with this key wrote, if any. Call under the lock."""
    txn = CreditTransaction.objects.filter(account=account, idempotency_key=idempotency_key).first()
    if txn is None:
        return None
    if txn.kind != kind or (amount is not None and _nominal_amount(txn) != amount):
        raise Conflict(
            "This idempotency key was already used for a different operation.",
            code="idempotency_key_reused",
        )
    return txn


def _snapshot(account: CreditAccount) -> dict[str, int]:
    return {"allowance": account.allowance, "purchased": account.purchased, "held": account.held}


def _allowance_expired(account: CreditAccount, period: str) -> bool:
    """Whether allowance credits taken in `period` have expired: the account's allowance
    was reset (to a later month) since. Call under the account lock."""
    return period != account.last_reset_period


def _with_expiry_note(reason: str, expired: int) -> str:
    if not expired:
        return reason
    note = f"{expired} allowance credit(s) expired: their month's allowance was reset since"
    return f"{reason} ({note})" if reason else note[0].upper() + note[1:]


def _split(account: CreditAccount, amount: int) -> tuple[int, int]:
    """(from allowance, from purchased) for spending `amount`: allowance first."""
    if account.available < amount:
        raise InsufficientCredits(required=amount, available=account.available)
    from_allowance = min(account.allowance, amount)
    return from_allowance, amount - from_allowance


def _append(
    *,
    account: CreditAccount,
    kind: str,
    idempotency_key: str,
    allowance_delta: int = 0,
    purchased_delta: int = 0,
    held_delta: int = 0,
    expired_allowance: int = 0,
    reason: str = "",
    reference: str = "",
    hold: CreditHold | None = None,
    counterparty: CreditAccount | None = None,
    created_by: User | None = None,
) -> CreditTransaction:
    """Apply the deltas to the locked account and write the transaction that explains them,
    stamped with the account's allowance month. The only code that changes balances
    (besides the set-based monthly reset). `expired_allowance` changes no balance: it
    records allowance credits a release or refund did not return."""
    account.allowance += allowance_delta
    account.purchased += purchased_delta
    account.held += held_delta
    account.save(update_fields=["allowance", "purchased", "held", "updated_at"])
    return CreditTransaction.objects.create(
        account=account,
        kind=kind,
        allowance_delta=allowance_delta,
        purchased_delta=purchased_delta,
        held_delta=held_delta,
        expired_allowance=expired_allowance,
        allowance_period=account.last_reset_period,
        balance_after=account.available,
        reason=reason[:500],
        reference=reference[:200],
        idempotency_key=idempotency_key,
        hold=hold,
        counterparty=counterparty,
        created_by=created_by,
    )


def _audit(
    *,
    acting_user: User | None,
    action: str,
    user: User,
    reason: str,
    before: dict[str, int],
    account: CreditAccount,
) -> None:
    """Staff actions on credits are audited, with the balances before and after."""
    if acting_user is not None and acting_user.is_staff:
        audit_record(
            actor=acting_user,
            action=action,
            target=user,
            reason=reason,
            before=before,
            after=_snapshot(account),
        )


# --- moving credits -------------------------------------------------------------------------


@transaction.atomic
def add_credits(
    *,
    user: User,
    amount: int,
    idempotency_key: str,
    kind: str = Kind.PURCHASE,
    reason: str = "",
    reference: str = "",
    acting_user: User | None = None,
) -> CreditTransaction:
    """Add purchased or granted credits (the `purchased` bucket; they never expire).

    A grant needs a staff `acting_user`; it is recorded as `created_by` and audited."""
    if kind not in (Kind.PURCHASE, Kind.GRANT):
        raise ValidationFailed("Invalid input: kind.", errors={"kind": ["purchase or grant."]})
    if kind == Kind.GRANT and (acting_user is None or not acting_user.is_staff):
        raise PermissionDenied("Only staff may grant credits.")
    _validate_amount(amount)
    _validate_key(idempotency_key)
    account = _lock_account(user.pk)
    existing = _replay(account, idempotency_key, kind=kind, amount=amount)
    if existing is not None:
        return existing
    before = _snapshot(account)
    txn = _append(
        account=account,
        kind=kind,
        idempotency_key=idempotency_key,
        purchased_delta=amount,
        reason=reason,
        reference=reference,
        created_by=acting_user,
    )
    _audit(
        acting_user=acting_user,
        action=f"credits.{kind}",
        user=user,
        reason=reason,
        before=before,
        account=account,
    )
    if kind == Kind.GRANT:
        # Inside the grant's transaction: a replayed grant returned above, so one notice.
        notify(
            user=user,
            type=Notification.Type.CREDITS_GRANTED,
            data={"amount": amount, "reason": reason, "transaction_id": txn.pk},
        )
    return txn


@transaction.atomic
def deduct_credits(
    *,
    user: User,
    amount: int,
    idempotency_key: str,
    reason: str = "",
    reference: str = "",
    kind: str = Kind.USAGE,
    acting_user: User | None = None,
) -> CreditTransaction:
    """Spend credits now (`usage`), or remove them as a staff correction (`adjustment`).
    Raises InsufficientCredits when fewer than `amount` are available."""
    if kind not in (Kind.USAGE, Kind.ADJUSTMENT):
        raise ValidationFailed("Invalid input: kind.", errors={"kind": ["usage or adjustment."]})
    if kind == Kind.ADJUSTMENT and (acting_user is None or not acting_user.is_staff):
        raise PermissionDenied("Only staff may adjust credits.")
    _validate_amount(amount)
    _validate_key(idempotency_key)
    account = _lock_account(user.pk)
    existing = _replay(account, idempotency_key, kind=kind, amount=amount)
    if existing is not None:
        return existing
    before = _snapshot(account)
    from_allowance, from_purchased = _split(account, amount)
    txn = _append(
        account=account,
        kind=kind,
        idempotency_key=idempotency_key,
        allowance_delta=-from_allowance,
        purchased_delta=-from_purchased,
        reason=reason,
        reference=reference,
        created_by=acting_user,
    )
    _audit(
        acting_user=acting_user,
        action=f"credits.{kind}",
        user=user,
        reason=reason,
        before=before,
        account=account,
    )
    return txn


@transaction.atomic
def hold(
    *,
    user: User,
    amount: int,
    reference: str,
    idempotency_key: str,
    reason: str = "",
    acting_user: User | None = None,
) -> CreditHold:
    """Reserve `amount` credits (allowance first) until `capture` or `release`.
    Raises InsufficientCredits when fewer are available. The hold records the allowance
    month its allowance part came from (see `release`)."""
    _validate_amount(amount)
    _validate_key(idempotency_key)
    account = _lock_account(user.pk)
    existing = _replay(account, idempotency_key, kind=Kind.HOLD, amount=amount)
    if existing is not None:
        assert existing.hold is not None
        return existing.hold
    from_allowance, from_purchased = _split(account, amount)
    credit_hold = CreditHold.objects.create(
        account=account,
        amount=amount,
        allowance_amount=from_allowance,
        allowance_period=account.last_reset_period,
        reference=reference,
    )
    _append(
        account=account,
        kind=Kind.HOLD,
        idempotency_key=idempotency_key,
        allowance_delta=-from_allowance,
        purchased_delta=-from_purchased,
        held_delta=amount,
        reason=reason,
        reference=reference,
        hold=credit_hold,
        created_by=acting_user,
    )
    return credit_hold


def _lock_hold(hold_id: int) -> tuple[CreditAccount, CreditHold]:
    """Lock the account owning the hold, then read the hold (the account lock serialises
    every change to its holds)."""
    user_id = (
        CreditHold.objects.filter(pk=hold_id).values_list("account__user_id", flat=True).first()
    )
    if user_id is None:
        raise NotFound("No such hold.", code="hold_not_found")
    account = _lock_account(user_id)
    return account, CreditHold.objects.get(pk=hold_id)


def _ensure_same_hold(txn: CreditTransaction, credit_hold: CreditHold) -> None:
    if txn.hold_id != credit_hold.pk:
        raise Conflict(
            "This idempotency key was already used for another hold.",
            code="idempotency_key_reused",
        )


def _ensure_open(credit_hold: CreditHold) -> None:
    if credit_hold.status != CreditHold.Status.OPEN:
        raise Conflict(f"The hold is already {credit_hold.status}.", code="hold_not_open")


@transaction.atomic
def capture(
    *,
    hold_id: int,
    idempotency_key: str,
    amount: int | None = None,
    reason: str = "",
    acting_user: User | None = None,
) -> CreditHold:
    """Spend `amount` of an open hold (all of it when None); the rest is released.

    The captured part spends the hold's allowance part first; a `release` transaction (key
    `<idempotency_key>:release`) returns the rest to the buckets it came from, except an
    allowance part whose month's allowance was reset since: that part has expired and is
    recorded as `expired_allowance` (see `release`)."""
    _validate_key(idempotency_key)
    account, credit_hold = _lock_hold(hold_id)
    if amount is not None:
        _validate_amount(amount)
    existing = _replay(account, idempotency_key, kind=Kind.CAPTURE, amount=amount)
    if existing is not None:
        _ensure_same_hold(existing, credit_hold)
        return credit_hold
    _ensure_open(credit_hold)
    amount = credit_hold.amount if amount is None else amount
    if amount > credit_hold.amount:
        raise ValidationFailed(
            "Invalid input: amount.",
            errors={"amount": [f"Must be between 1 and the held {credit_hold.amount}."]},
        )
    captured_allowance = min(amount, credit_hold.allowance_amount)
    _append(
        account=account,
        kind=Kind.CAPTURE,
        idempotency_key=idempotency_key,
        held_delta=-amount,
        reason=reason,
        reference=credit_hold.reference,
        hold=credit_hold,
        created_by=acting_user,
    )
    remainder = credit_hold.amount - amount
    if remainder:
        remainder_allowance = credit_hold.allowance_amount - captured_allowance
        expired = (
            remainder_allowance if _allowance_expired(account, credit_hold.allowance_period) else 0
        )
        _append(
            account=account,
            kind=Kind.RELEASE,
            idempotency_key=f"{idempotency_key}:release",
            held_delta=-remainder,
            allowance_delta=remainder_allowance - expired,
            purchased_delta=remainder - remainder_allowance,
            expired_allowance=expired,
            reason=_with_expiry_note(reason or "Uncaptured part of the hold", expired),
            reference=credit_hold.reference,
            hold=credit_hold,
            created_by=acting_user,
        )
    credit_hold.status = CreditHold.Status.CAPTURED
    credit_hold.captured_amount = amount
    credit_hold.settled_at = timezone.now()
    credit_hold.save(update_fields=["status", "captured_amount", "settled_at"])
    return credit_hold


@transaction.atomic
def release(
    *, hold_id: int, idempotency_key: str, reason: str = "", acting_user: User | None = None
) -> CreditHold:
    """Return an open hold's credits to the buckets they came from.

    Purchased credits always come back. The allowance part comes back only if the hold's
    allowance month is still the account's: after a monthly reset it has expired, as it
    would have had it never been held (a free user holding their 3 January credits gets 3
    in February, not 6). The release then still takes the whole hold out of `held` but
    returns nothing to the allowance, recording the expired part as `expired_allowance`
    with a note in the reason."""
    _validate_key(idempotency_key)
    account, credit_hold = _lock_hold(hold_id)
    existing = _replay(account, idempotency_key, kind=Kind.RELEASE, amount=None)
    if existing is not None:
        _ensure_same_hold(existing, credit_hold)
        return credit_hold
    _ensure_open(credit_hold)
    expired = (
        credit_hold.allowance_amount
        if _allowance_expired(account, credit_hold.allowance_period)
        else 0
    )
    _append(
        account=account,
        kind=Kind.RELEASE,
        idempotency_key=idempotency_key,
        held_delta=-credit_hold.amount,
        allowance_delta=credit_hold.allowance_amount - expired,
        purchased_delta=credit_hold.amount - credit_hold.allowance_amount,
        expired_allowance=expired,
        reason=_with_expiry_note(reason, expired),
        reference=credit_hold.reference,
        hold=credit_hold,
        created_by=acting_user,
    )
    credit_hold.status = CreditHold.Status.RELEASED
    credit_hold.settled_at = timezone.now()
    credit_hold.save(update_fields=["status", "settled_at"])
    return credit_hold


@dataclass(frozen=True)
class Refundable:
    """What is left to refund under a reference, by where it would go back to."""

    purchased: int
    allowance: int  # spent from the account's current month's allowance
    expired: int  # spent from an earlier month's allowance, reset since

    @property
    def total(self) -> int:
        return self.purchased + self.allowance + self.expired


def _refundable(account: CreditAccount, reference: str) -> Refundable:
    """Credits spent under `reference` (usage and captured holds; not the debit side of a
    transfer) and not refunded yet, split by the bucket a refund returns them to. Call
    under the account lock."""
    current = account.last_reset_period
    spent_purchased = spent_allowance = spent_current = 0
    refunded_purchased = refunded_allowance = refunded_current = 0
    rows = (
        CreditTransaction.objects.filter(account=account, reference=reference)
        .filter(Q(kind=Kind.USAGE, counterparty__isnull=True) | Q(kind=Kind.REFUND))
        .values("kind", "allowance_period")
        .annotate(
            allowance=Sum("allowance_delta"),
            purchased=Sum("purchased_delta"),
            expired=Sum("expired_allowance"),
        )
        .order_by()
    )
    for row in rows:
        if row["kind"] == Kind.USAGE:
            spent_purchased -= row["purchased"]
            spent_allowance -= row["allowance"]
            if row["allowance_period"] == current:
                spent_current -= row["allowance"]
        else:
            refunded_purchased += row["purchased"]
            refunded_allowance += row["allowance"] + row["expired"]
            if row["allowance_period"] == current:
                refunded_current += row["allowance"]
    captured = CreditHold.objects.filter(
        account=account, reference=reference, status=CreditHold.Status.CAPTURED
    ).values_list("captured_amount", "allowance_amount", "allowance_period")
    for captured_amount, allowance_amount, period in captured:
        from_allowance = min(captured_amount, allowance_amount)
        spent_allowance += from_allowance
        spent_purchased += captured_amount - from_allowance
        if period == current:
            spent_current += from_allowance
    allowance_left = spent_allowance - refunded_allowance
    current_left = spent_current - refunded_current
    return Refundable(
        purchased=spent_purchased - refunded_purchased,
        allowance=current_left,
        expired=allowance_left - current_left,
    )


@transaction.atomic
def refund(
    *,
    user: User,
    amount: int,
    reference: str,
    idempotency_key: str,
    reason: str = "",
    acting_user: User | None = None,
) -> CreditTransaction:
    """Give back credits spent under `reference` (by `deduct_credits` or a captured hold),
    to the buckets they were spent from: purchased credits first, then allowance spent in
    the account's current month, then allowance spent in an earlier month. That last part
    has expired with its month's allowance: it is not returned but recorded on the refund
    as `expired_allowance` (so it counts as refunded and the refund's amount is still
    `amount`). Refunds under one reference never exceed what was spent under it (Conflict
    `refund_exceeds_spent`)."""
    _validate_amount(amount)
    _validate_key(idempotency_key)
    if not reference:
        raise ValidationFailed(
            "Invalid input: reference.", errors={"reference": ["This field is required."]}
        )
    account = _lock_account(user.pk)
    existing = _replay(account, idempotency_key, kind=Kind.REFUND, amount=amount)
    if existing is not None:
        return existing
    refundable = _refundable(account, reference)
    if amount > refundable.total:
        raise Conflict(
            f"Only {refundable.total} credits spent under {reference!r} can be refunded.",
            code="refund_exceeds_spent",
            refundable=refundable.total,
        )
    to_purchased = min(amount, refundable.purchased)
    to_allowance = min(amount - to_purchased, refundable.allowance)
    expired = amount - to_purchased - to_allowance
    before = _snapshot(account)
    txn = _append(
        account=account,
        kind=Kind.REFUND,
        idempotency_key=idempotency_key,
        allowance_delta=to_allowance,
        purchased_delta=to_purchased,
        expired_allowance=expired,
        reason=_with_expiry_note(reason, expired),
        reference=reference,
        created_by=acting_user,
    )
    _audit(
        acting_user=acting_user,
        action="credits.refund",
        user=user,
        reason=reason,
        before=before,
        account=account,
    )
    return txn


@transaction.atomic
def transfer(
    *,
    sender: User,
    receiver: User,
    amount: int,
    reference: str,
    idempotency_key: str,
    reason: str = "",
    acting_user: User | None = None,
) -> Transfer:
    """Move credits from `sender` (a `usage` transaction, allowance first) to `receiver`
    (a `transfer` transaction into purchased credits), both under the same key, in one
    transaction. Both accounts are locked in user-id order, so opposite transfers cannot
    deadlock. Undo a transfer with a transfer the other way."""
    if sender.pk == receiver.pk:
        raise ValidationFailed(
            "Invalid input: receiver.", errors={"receiver": ["Cannot transfer to oneself."]}
        )
    _validate_amount(amount)
    _validate_key(idempotency_key)
    locked = {user_id: _lock_account(user_id) for user_id in sorted((sender.pk, receiver.pk))}
    sender_account, receiver_account = locked[sender.pk], locked[receiver.pk]
    debit = _replay(sender_account, idempotency_key, kind=Kind.USAGE, amount=amount)
    credit = _replay(receiver_account, idempotency_key, kind=Kind.TRANSFER, amount=amount)
    if debit is not None and credit is not None:
        return Transfer(debit=debit, credit=credit)
    if debit is not None or credit is not None:
        raise Conflict(
            "This idempotency key was already used for a different operation.",
            code="idempotency_key_reused",
        )
    from_allowance, from_purchased = _split(sender_account, amount)
    debit = _append(
        account=sender_account,
        kind=Kind.USAGE,
        idempotency_key=idempotency_key,
        allowance_delta=-from_allowance,
        purchased_delta=-from_purchased,
        reason=reason,
        reference=reference,
        counterparty=receiver_account,
        created_by=acting_user,
    )
    credit = _append(
        account=receiver_account,
        kind=Kind.TRANSFER,
        idempotency_key=idempotency_key,
        purchased_delta=amount,
        reason=reason,
        reference=reference,
        counterparty=sender_account,
        created_by=acting_user,
    )
    return Transfer(debit=debit, credit=credit)


# --- payments -------------------------------------------------------------------------------

PAYMENT_SUCCEEDED = "payment.succeeded"


def payment_signature_verify(*, body: bytes, signature: str | None) -> None:
    """Check the provider's HMAC-SHA256 of the raw body (hex) in constant time."""
    secret = settings.PAYMENT_WEBHOOK_SECRET
    if not secret:
        logger.error("payment webhook called but PAYMENT_WEBHOOK_SECRET is not set")
        raise ServiceUnavailable(
            "The payment webhook is not configured.", code="webhook_not_configured"
        )
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    if not signature or not hmac.compare_digest(
        expected.encode(), signature.strip().lower().encode()
    ):
        raise ValidationFailed("Invalid or missing signature.", code="invalid_signature")


@transaction.atomic
def payment_event_apply(
    *, event_id: str, event_type: str, user_id: int, credits: int, amount_cents: int
) -> CreditTransaction | None:
    """Credit a verified `payment.succeeded` event once per event id, however often the
    provider delivers it (key `payment:<event id>`). Other event types are ignored.

    The event id is recorded in `ProcessedPaymentEvent` (unique across accounts) in the
    same transaction: a delivery naming another user than the first is a Conflict
    `payment_event_already_applied` and changes nothing. Concurrent deliveries to two
    accounts meet on the unique index; the one that loses is rolled back."""
    if event_type != PAYMENT_SUCCEEDED:
        return None
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        raise ValidationFailed(
            "Invalid input: data.user_id.", errors={"data.user_id": ["Unknown user."]}
        )
    txn = add_credits(
        user=user,
        amount=credits,
        kind=Kind.PURCHASE,
        reason=f"Payment {event_id}: {credits} credits for {amount_cents} cents",
        reference=f"payment:{event_id}",
        idempotency_key=f"payment:{event_id}",
    )
    event, _ = ProcessedPaymentEvent.objects.get_or_create(
        event_id=event_id, defaults={"transaction": txn}
    )
    if event.transaction_id != txn.pk:
        raise Conflict(
            f"Payment event {event_id} was already credited to another account.",
            code="payment_event_already_applied",
        )
    return txn


# --- monthly reset --------------------------------------------------------------------------


def reset_monthly_credits(
    *, period: str | None = None, batch_size: int | None = None
) -> ResetResult:
    """Reset every account's allowance to its tier's allowance for `period` ("YYYY-MM",
    default the current month in TIME_ZONE), writing one `monthly_reset` transaction
    (key `monthly_reset:<period>`) per account whose allowance changes.

    Works in batches, each its own transaction: a batch claims accounts whose
    `last_reset_period` is older than `period` (locking them in user-id order, the order
    `transfer` uses), sets allowance and period with one UPDATE and writes the transactions
    with one INSERT. Running it again, or after a crash half-way, only does what is left."""
    period = period or current_period()
    if not _PERIOD_PATTERN.match(period):
        raise ValidationFailed("Invalid input: period.", errors={"period": ["YYYY-MM."]})
    size = batch_size or settings.CREDITS_RESET_BATCH_SIZE
    claimed = written = 0
    after_user_id = 0
    while True:
        batch_claimed, batch_written, after_user_id = _reset_batch(
            period=period, after_user_id=after_user_id, size=size
        )
        claimed += batch_claimed
        written += batch_written
        if batch_claimed < size:
            break
    logger.info(
        "monthly credit reset %s: %d accounts claimed, %d transactions", period, claimed, written
    )
    return ResetResult(period=period, accounts_claimed=claimed, transactions_written=written)


@transaction.atomic
def _reset_batch(*, period: str, after_user_id: int, size: int) -> tuple[int, int, int]:
    rows = list(
        CreditAccount.objects.select_for_update(of=("self",))
        .filter(last_reset_period__lt=period, user_id__gt=after_user_id)
        .order_by("user_id")
        .values_list("pk", "user_id", "allowance", "purchased", "user__tier")[:size]
    )
    if not rows:
        return 0, 0, after_user_id
    ids_by_allowance: dict[int, list[int]] = {}
    transactions = []
    for pk, _user_id, allowance, purchased, tier in rows:
        new_allowance = tier_monthly_allowance(tier)
        ids_by_allowance.setdefault(new_allowance, []).append(pk)
        if new_allowance != allowance:
            transactions.append(
                CreditTransaction(
                    account_id=pk,
                    kind=Kind.MONTHLY_RESET,
                    allowance_delta=new_allowance - allowance,
                    balance_after=new_allowance + purchased,
                    reason=f"Monthly allowance for {period} ({tier})",
                    idempotency_key=f"monthly_reset:{period}",
                    allowance_period=period,
                )
            )
    CreditAccount.objects.filter(pk__in=[row[0] for row in rows]).update(
        allowance=Case(
            *(When(pk__in=ids, then=Value(value)) for value, ids in ids_by_allowance.items()),
            default=F("allowance"),
        ),
        last_reset_period=period,
        updated_at=timezone.now(),
    )
    CreditTransaction.objects.bulk_create(transactions)
    return len(rows), len(transactions), rows[-1][1]


# --- schedule -------------------------------------------------------------------------------


def beat_schedule_ensure(*, using: str = DEFAULT_DB_ALIAS) -> PeriodicTask:
    """Make the monthly reset visible in django-celery-beat's admin before beat first runs.

    Creates the PeriodicTask (and its crontab, in TIME_ZONE) that beat's DatabaseScheduler
    would create from CELERY_BEAT_SCHEDULE, with the same name, so beat adopts the row
    instead of adding another. An existing row (possibly edited in admin) is left alone."""
    existing = PeriodicTask.objects.using(using).filter(name=MONTHLY_RESET_SCHEDULE_NAME).first()
    if existing is not None:
        return existing
    entry: dict[str, Any] = settings.CELERY_BEAT_SCHEDULE[MONTHLY_RESET_SCHEDULE_NAME]
    schedule = entry["schedule"]
    crontab, _ = CrontabSchedule.objects.using(using).get_or_create(
        minute=schedule._orig_minute,
        hour=schedule._orig_hour,
        day_of_week=schedule._orig_day_of_week,
        day_of_month=schedule._orig_day_of_month,
        month_of_year=schedule._orig_month_of_year,
        timezone=settings.TIME_ZONE,
    )
    return PeriodicTask.objects.using(using).create(
        name=MONTHLY_RESET_SCHEDULE_NAME,
        task=entry["task"],
        crontab=crontab,
        description="Resets every credit account's allowance to its tier's allowance.",
    )
