from datetime import UTC, datetime

import pytest
from django.db import IntegrityError, transaction

from accounts.models import AuditLog, User
from accounts.services import user_create
from config.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from credits import services
from credits.models import CreditAccount, CreditHold, CreditTransaction, LedgerIsAppendOnly
from tests.accounts.factories import AdminFactory, MentorFactory, StudentFactory
from tests.credits.factories import CreditAccountFactory

pytestmark = pytest.mark.django_db

Kind = CreditTransaction.Kind


def balances(user) -> tuple[int, int, int]:
    account = CreditAccount.objects.get(user=user)
    return account.allowance, account.purchased, account.held


def kinds(user) -> list[str]:
    return list(
        CreditTransaction.objects.filter(account__user=user)
        .order_by("id")
        .values_list("kind", flat=True)
    )


# --- accounts -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tier", "allowance"),
    [(User.Tier.FREE, 3), (User.Tier.PRO, 30), (User.Tier.ENTERPRISE, 1000)],
)
def test_user_create_opens_account_with_tier_allowance_in_same_transaction(tier, allowance):
    user = user_create(email=f"{tier}@example.com", username=tier, password=None, tier=tier)

    account = CreditAccount.objects.get(user=user)
    assert (account.allowance, account.purchased, account.held) == (allowance, 0, 0)
    assert account.last_reset_period == services.current_period()
    txn = CreditTransaction.objects.get(account=account)
    assert txn.kind == Kind.MONTHLY_RESET
    assert txn.allowance_delta == allowance
    assert txn.balance_after == allowance
    assert txn.idempotency_key == f"monthly_reset:{services.current_period()}"


def test_failed_user_creation_leaves_no_account():
    StudentFactory(email="taken@example.com")
    with pytest.raises(ValidationFailed):
        user_create(email="taken@example.com", username="x", password=None)
    assert CreditAccount.objects.count() == 0


def test_account_create_twice_returns_the_same_account():
    user = StudentFactory()
    first = services.account_create(user=user)
    second = services.account_create(user=user)
    assert first.pk == second.pk
    assert CreditTransaction.objects.filter(account=first).count() == 1


def test_tier_allowances_come_from_settings(settings):
    settings.CREDITS_TIER_ALLOWANCES = {"free": 5, "pro": 50, "enterprise": 500}
    user = user_create(email="s@example.com", username="s", password=None)
    assert balances(user) == (5, 0, 0)
    assert services.tier_monthly_allowance("pro") == 50
    assert services.tier_monthly_allowance("unknown") == 0


@pytest.mark.parametrize(
    ("tier", "priority"),
    [(User.Tier.FREE, 1), (User.Tier.PRO, 2), (User.Tier.ENTERPRISE, 3)],
)
def test_tier_default_priority(tier, priority):
    assert services.tier_default_priority(tier) == priority


def test_user_predating_the_app_gets_an_account_on_first_use():
    user = StudentFactory()  # saved directly: no user_created signal, no account
    assert not CreditAccount.objects.filter(user=user).exists()

    balance = services.get_balance(user=user)

    assert (balance.allowance, balance.purchased, balance.held, balance.available) == (3, 0, 0, 3)
    assert CreditAccount.objects.filter(user=user).count() == 1


def test_spending_for_a_user_predating_the_app_creates_the_account_first():
    user = StudentFactory()
    services.deduct_credits(user=user, amount=2, idempotency_key="k")
    assert balances(user) == (1, 0, 0)
    assert kinds(user) == [Kind.MONTHLY_RESET, Kind.USAGE]


def test_unknown_user_is_not_found():
    ghost = User(pk=999_999, tier="free")
    with pytest.raises(NotFound):
        services.deduct_credits(user=ghost, amount=1, idempotency_key="k")
    assert CreditAccount.objects.count() == 0


def test_next_reset_at_is_midnight_of_the_first_in_time_zone(settings):
    settings.TIME_ZONE = "Europe/Berlin"
    now = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)  # 00:30 on Jan 1 in Berlin
    assert services.current_period(now) == "2027-01"
    assert services.next_reset_at(now).isoformat() == "2027-02-01T00:00:00+01:00"


# --- add and deduct -----------------------------------------------------------------------


def test_purchase_adds_to_purchased_bucket():
    account = CreditAccountFactory()

    txn = services.add_credits(
        user=account.user, amount=10, idempotency_key="buy-1", reference="payment:1"
    )

    assert balances(account.user) == (3, 10, 0)
    assert (txn.kind, txn.purchased_delta, txn.allowance_delta, txn.balance_after) == (
        Kind.PURCHASE,
        10,
        0,
        13,
    )
    assert txn.created_by is None
    assert not AuditLog.objects.exists()


def test_grant_is_recorded_with_staff_member_and_audited():
    account = CreditAccountFactory()
    staff = AdminFactory()

    txn = services.add_credits(
        user=account.user,
        amount=7,
        kind=Kind.GRANT,
        reason="goodwill",
        idempotency_key="grant-1",
        acting_user=staff,
    )

    assert balances(account.user) == (3, 7, 0)
    assert (txn.kind, txn.created_by, txn.reason) == (Kind.GRANT, staff, "goodwill")
    audit = AuditLog.objects.get()
    assert (audit.actor, audit.action, audit.target_id, audit.reason) == (
        staff,
        "credits.grant",
        str(account.user.pk),
        "goodwill",
    )
    assert audit.before == {"allowance": 3, "purchased": 0, "held": 0}
    assert audit.after == {"allowance": 3, "purchased": 7, "held": 0}


@pytest.mark.parametrize("acting", [None, "student"])
def test_grant_needs_staff(acting):
    account = CreditAccountFactory()
    acting_user = StudentFactory() if acting else None
    with pytest.raises(PermissionDenied):
        services.add_credits(
            user=account.user,
            amount=7,
            kind=Kind.GRANT,
            idempotency_key="g",
            acting_user=acting_user,
        )
    assert balances(account.user) == (3, 0, 0)


@pytest.mark.parametrize("amount", [0, -1, 1_000_001, True, "5"])
def test_invalid_amounts_are_refused(amount):
    account = CreditAccountFactory(purchased=5)
    with pytest.raises(ValidationFailed) as caught:
        services.add_credits(user=account.user, amount=amount, idempotency_key="k")
    assert list(caught.value.errors) == ["amount"]
    with pytest.raises(ValidationFailed):
        services.deduct_credits(user=account.user, amount=amount, idempotency_key="k")
    assert balances(account.user) == (3, 5, 0)


@pytest.mark.parametrize("key", ["", "k" * 181])
def test_idempotency_key_is_required_and_bounded(key):
    account = CreditAccountFactory()
    with pytest.raises(ValidationFailed) as caught:
        services.add_credits(user=account.user, amount=1, idempotency_key=key)
    assert list(caught.value.errors) == ["idempotency_key"]


def test_deduct_spends_allowance_first_then_purchased():
    account = CreditAccountFactory(purchased=10)

    first = services.deduct_credits(user=account.user, amount=2, idempotency_key="u1")
    second = services.deduct_credits(user=account.user, amount=4, idempotency_key="u2")

    assert (first.allowance_delta, first.purchased_delta, first.balance_after) == (-2, 0, 11)
    assert (second.allowance_delta, second.purchased_delta, second.balance_after) == (-1, -3, 7)
    assert balances(account.user) == (0, 7, 0)


def test_deduct_more_than_available_raises_with_required_and_available():
    account = CreditAccountFactory(purchased=2)

    with pytest.raises(services.InsufficientCredits) as caught:
        services.deduct_credits(user=account.user, amount=6, idempotency_key="u")

    error = caught.value
    assert (error.status_code, error.code) == (402, "insufficient_credits")
    assert error.extra == {"required": 6, "available": 5}
    assert balances(account.user) == (3, 2, 0)
    assert kinds(account.user) == [Kind.MONTHLY_RESET, Kind.PURCHASE]


def test_deduct_exactly_the_available_amount_leaves_zero():
    account = CreditAccountFactory(purchased=2)
    txn = services.deduct_credits(user=account.user, amount=5, idempotency_key="u")
    assert txn.balance_after == 0
    assert balances(account.user) == (0, 0, 0)


def test_adjustment_needs_staff_and_is_audited():
    account = CreditAccountFactory(purchased=5)
    with pytest.raises(PermissionDenied):
        services.deduct_credits(
            user=account.user, amount=1, kind=Kind.ADJUSTMENT, idempotency_key="a"
        )
    staff = AdminFactory()
    txn = services.deduct_credits(
        user=account.user,
        amount=4,
        kind=Kind.ADJUSTMENT,
        reason="duplicate purchase",
        idempotency_key="a",
        acting_user=staff,
    )
    assert (txn.kind, txn.created_by) == (Kind.ADJUSTMENT, staff)
    assert balances(account.user) == (0, 4, 0)
    assert AuditLog.objects.get().action == "credits.adjustment"


# --- idempotency --------------------------------------------------------------------------


def test_same_key_returns_first_result_and_changes_nothing():
    account = CreditAccountFactory(purchased=10)

    first = services.deduct_credits(user=account.user, amount=4, idempotency_key="job:1")
    again = services.deduct_credits(user=account.user, amount=4, idempotency_key="job:1")

    assert again.pk == first.pk
    assert balances(account.user) == (0, 9, 0)
    assert kinds(account.user).count(Kind.USAGE) == 1


def test_same_key_replays_even_when_the_balance_no_longer_suffices():
    account = CreditAccountFactory()
    first = services.deduct_credits(user=account.user, amount=3, idempotency_key="k")
    assert services.deduct_credits(user=account.user, amount=3, idempotency_key="k") == first
    assert balances(account.user) == (0, 0, 0)


@pytest.mark.parametrize(
    "call",
    [
        lambda user: services.deduct_credits(user=user, amount=2, idempotency_key="k"),
        lambda user: services.add_credits(user=user, amount=1, idempotency_key="k"),
        lambda user: services.hold(user=user, amount=1, reference="r", idempotency_key="k"),
    ],
    ids=["other-amount", "other-kind", "hold"],
)
def test_reusing_a_key_for_a_different_operation_is_a_conflict(call):
    account = CreditAccountFactory(purchased=10)
    services.deduct_credits(user=account.user, amount=1, idempotency_key="k")

    with pytest.raises(Conflict) as caught:
        call(account.user)

    assert caught.value.code == "idempotency_key_reused"
    assert balances(account.user) == (2, 10, 0)


def test_keys_are_per_account():
    first = CreditAccountFactory(purchased=5)
    second = CreditAccountFactory(purchased=5)
    services.deduct_credits(user=first.user, amount=1, idempotency_key="same")
    services.deduct_credits(user=second.user, amount=1, idempotency_key="same")
    assert balances(first.user) == balances(second.user) == (2, 5, 0)


# --- holds --------------------------------------------------------------------------------


def test_hold_reserves_allowance_first_and_stops_it_being_available():
    account = CreditAccountFactory(purchased=10)

    held = services.hold(user=account.user, amount=5, reference="job:1", idempotency_key="h1")

    assert (held.amount, held.allowance_amount, held.status) == (5, 3, CreditHold.Status.OPEN)
    assert balances(account.user) == (0, 8, 5)
    assert services.get_balance(user=account.user).available == 8
    txn = CreditTransaction.objects.get(hold=held)
    assert (txn.kind, txn.allowance_delta, txn.purchased_delta, txn.held_delta) == (
        Kind.HOLD,
        -3,
        -2,
        5,
    )
    assert (txn.reference, txn.balance_after) == ("job:1", 8)


def test_hold_more_than_available_raises_and_changes_nothing():
    account = CreditAccountFactory(purchased=1)
    with pytest.raises(services.InsufficientCredits):
        services.hold(user=account.user, amount=5, reference="job:1", idempotency_key="h")
    assert balances(account.user) == (3, 1, 0)
    assert not CreditHold.objects.exists()


def test_hold_is_idempotent():
    account = CreditAccountFactory(purchased=10)
    first = services.hold(user=account.user, amount=5, reference="job:1", idempotency_key="h")
    again = services.hold(user=account.user, amount=5, reference="job:1", idempotency_key="h")
    assert again.pk == first.pk
    assert CreditHold.objects.count() == 1
    assert balances(account.user) == (0, 8, 5)


def test_full_capture_spends_the_hold():
    account = CreditAccountFactory(purchased=10)
    held = services.hold(user=account.user, amount=5, reference="job:1", idempotency_key="h")

    captured = services.capture(hold_id=held.pk, idempotency_key="c")

    assert (captured.status, captured.captured_amount) == (CreditHold.Status.CAPTURED, 5)
    assert captured.settled_at is not None
    assert balances(account.user) == (0, 8, 0)
    assert kinds(account.user)[-2:] == [Kind.HOLD, Kind.CAPTURE]
    capture_txn = CreditTransaction.objects.get(kind=Kind.CAPTURE)
    assert (capture_txn.held_delta, capture_txn.balance_after) == (-5, 8)


def test_partial_capture_spends_allowance_part_first_and_releases_the_rest():
    account = CreditAccountFactory(purchased=10)
    held = services.hold(user=account.user, amount=5, reference="job:1", idempotency_key="h")
    # hold took 3 from the allowance and 2 from purchased

    services.capture(hold_id=held.pk, amount=4, idempotency_key="c")

    held.refresh_from_db()
    assert (held.status, held.captured_amount) == (CreditHold.Status.CAPTURED, 4)
    release_txn = CreditTransaction.objects.get(kind=Kind.RELEASE)
    assert (release_txn.allowance_delta, release_txn.purchased_delta, release_txn.held_delta) == (
        0,
        1,
        -1,
    )
    assert release_txn.idempotency_key == "c:release"
    assert balances(account.user) == (0, 9, 0)


def test_partial_capture_within_allowance_part_returns_allowance():
    account = CreditAccountFactory(purchased=10)
    held = services.hold(user=account.user, amount=5, reference="job:1", idempotency_key="h")

    services.capture(hold_id=held.pk, amount=1, idempotency_key="c")

    release_txn = CreditTransaction.objects.get(kind=Kind.RELEASE)
    assert (release_txn.allowance_delta, release_txn.purchased_delta) == (2, 2)
    assert balances(account.user) == (2, 10, 0)


def test_capture_is_idempotent():
    account = CreditAccountFactory(purchased=10)
    held = services.hold(user=account.user, amount=5, reference="job:1", idempotency_key="h")
    services.capture(hold_id=held.pk, amount=4, idempotency_key="c")
    services.capture(hold_id=held.pk, amount=4, idempotency_key="c")
    assert kinds(account.user).count(Kind.CAPTURE) == 1
    assert balances(account.user) == (0, 9, 0)


@pytest.mark.parametrize("amount", [0, 6, -1])
def test_capture_outside_the_held_amount_is_refused(amount):
    account = CreditAccountFactory(purchased=10)
    held = services.hold(user=account.user, amount=5, reference="job:1", idempotency_key="h")
    with pytest.raises(ValidationFailed):
        services.capture(hold_id=held.pk, amount=amount, idempotency_key="c")
    held.refresh_from_db()
    assert held.status == CreditHold.Status.OPEN
    assert balances(account.user) == (0, 8, 5)


def test_release_returns_credits_to_their_buckets():
    account = CreditAccountFactory(purchased=10)
    held = services.hold(user=account.user, amount=5, reference="job:1", idempotency_key="h")

    released = services.release(hold_id=held.pk, idempotency_key="r")
    again = services.release(hold_id=held.pk, idempotency_key="r")

    assert again.pk == released.pk
    assert released.status == CreditHold.Status.RELEASED
    assert balances(account.user) == (3, 10, 0)
    assert kinds(account.user).count(Kind.RELEASE) == 1


def test_settled_hold_cannot_be_settled_again_with_another_key():
    account = CreditAccountFactory(purchased=10)
    held = services.hold(user=account.user, amount=5, reference="job:1", idempotency_key="h")
    services.capture(hold_id=held.pk, idempotency_key="c")

    with pytest.raises(Conflict) as released:
        services.release(hold_id=held.pk, idempotency_key="r")
    with pytest.raises(Conflict) as captured:
        services.capture(hold_id=held.pk, idempotency_key="c2")

    assert released.value.code == captured.value.code == "hold_not_open"
    assert balances(account.user) == (0, 8, 0)


def test_capture_key_of_one_hold_cannot_settle_another():
    account = CreditAccountFactory(purchased=10)
    first = services.hold(user=account.user, amount=2, reference="job:1", idempotency_key="h1")
    second = services.hold(user=account.user, amount=2, reference="job:2", idempotency_key="h2")
    services.capture(hold_id=first.pk, idempotency_key="c")
    with pytest.raises(Conflict):
        services.capture(hold_id=second.pk, idempotency_key="c")
    second.refresh_from_db()
    assert second.status == CreditHold.Status.OPEN


def test_unknown_hold_is_not_found():
    with pytest.raises(NotFound):
        services.capture(hold_id=12345, idempotency_key="c")
    with pytest.raises(NotFound):
        services.release(hold_id=12345, idempotency_key="r")


# --- refund -------------------------------------------------------------------------------


def test_refund_returns_usage_to_its_buckets_purchased_first():
    account = CreditAccountFactory(purchased=10)
    services.deduct_credits(user=account.user, amount=5, reference="job:1", idempotency_key="u")
    # spent 3 from the allowance and 2 purchased

    first = services.refund(user=account.user, amount=3, reference="job:1", idempotency_key="r1")
    second = services.refund(user=account.user, amount=2, reference="job:1", idempotency_key="r2")

    assert (first.allowance_delta, first.purchased_delta) == (1, 2)
    assert (second.allowance_delta, second.purchased_delta) == (2, 0)
    assert balances(account.user) == (3, 10, 0)


def test_refund_of_a_captured_hold():
    account = CreditAccountFactory(purchased=10)
    held = services.hold(user=account.user, amount=5, reference="job:1", idempotency_key="h")
    services.capture(hold_id=held.pk, amount=4, idempotency_key="c")
    # captured 3 allowance + 1 purchased

    txn = services.refund(user=account.user, amount=4, reference="job:1", idempotency_key="r")

    assert (txn.allowance_delta, txn.purchased_delta) == (3, 1)
    assert balances(account.user) == (3, 10, 0)


def test_refund_cannot_exceed_what_was_spent_under_the_reference():
    account = CreditAccountFactory(purchased=10)
    services.deduct_credits(user=account.user, amount=2, reference="job:1", idempotency_key="u")
    services.refund(user=account.user, amount=1, reference="job:1", idempotency_key="r1")

    with pytest.raises(Conflict) as caught:
        services.refund(user=account.user, amount=2, reference="job:1", idempotency_key="r2")
    with pytest.raises(Conflict):
        services.refund(user=account.user, amount=1, reference="job:2", idempotency_key="r3")

    assert caught.value.code == "refund_exceeds_spent"
    assert caught.value.extra == {"refundable": 1}
    assert balances(account.user) == (2, 10, 0)


def test_refund_is_idempotent_and_audited_for_staff():
    account = CreditAccountFactory(purchased=10)
    staff = AdminFactory()
    services.deduct_credits(user=account.user, amount=5, reference="job:1", idempotency_key="u")
    first = services.refund(
        user=account.user,
        amount=5,
        reference="job:1",
        idempotency_key="r",
        reason="failed",
        acting_user=staff,
    )
    again = services.refund(
        user=account.user, amount=5, reference="job:1", idempotency_key="r", acting_user=staff
    )
    assert again.pk == first.pk
    assert balances(account.user) == (3, 10, 0)
    assert list(AuditLog.objects.values_list("action", flat=True)) == ["credits.refund"]


def test_transfer_debit_cannot_be_refunded():
    student = CreditAccountFactory(purchased=10)
    mentor = CreditAccountFactory(user=MentorFactory())
    services.transfer(
        sender=student.user,
        receiver=mentor.user,
        amount=4,
        reference="session:7",
        idempotency_key="t",
    )
    with pytest.raises(Conflict):
        services.refund(user=student.user, amount=1, reference="session:7", idempotency_key="r")


# --- transfer -----------------------------------------------------------------------------


def test_transfer_moves_credits_from_student_to_mentor_purchased():
    student = CreditAccountFactory(purchased=10)
    mentor = CreditAccountFactory(user=MentorFactory())

    result = services.transfer(
        sender=student.user,
        receiver=mentor.user,
        amount=5,
        reference="session:7",
        reason="Mentoring session",
        idempotency_key="session:7:pay",
    )

    assert balances(student.user) == (0, 8, 0)
    assert balances(mentor.user) == (3, 5, 0)
    debit, credit = result.debit, result.credit
    assert (debit.kind, debit.allowance_delta, debit.purchased_delta, debit.balance_after) == (
        Kind.USAGE,
        -3,
        -2,
        8,
    )
    assert (credit.kind, credit.purchased_delta, credit.balance_after) == (Kind.TRANSFER, 5, 8)
    assert debit.counterparty == mentor
    assert credit.counterparty == student
    assert debit.reference == credit.reference == "session:7"


def test_transfer_is_idempotent():
    student = CreditAccountFactory(purchased=10)
    mentor = CreditAccountFactory(user=MentorFactory())
    kwargs = {
        "sender": student.user,
        "receiver": mentor.user,
        "amount": 5,
        "reference": "session:7",
        "idempotency_key": "t",
    }
    first = services.transfer(**kwargs)
    again = services.transfer(**kwargs)
    assert (again.debit.pk, again.credit.pk) == (first.debit.pk, first.credit.pk)
    assert balances(student.user) == (0, 8, 0)
    assert balances(mentor.user) == (3, 5, 0)


def test_transfer_without_enough_credits_changes_neither_account():
    student = CreditAccountFactory()
    mentor = CreditAccountFactory(user=MentorFactory())
    with pytest.raises(services.InsufficientCredits):
        services.transfer(
            sender=student.user,
            receiver=mentor.user,
            amount=5,
            reference="session:7",
            idempotency_key="t",
        )
    assert balances(student.user) == (3, 0, 0)
    assert balances(mentor.user) == (3, 0, 0)


def test_transfer_to_oneself_is_refused():
    student = CreditAccountFactory(purchased=10)
    with pytest.raises(ValidationFailed):
        services.transfer(
            sender=student.user,
            receiver=student.user,
            amount=1,
            reference="s",
            idempotency_key="t",
        )
    assert balances(student.user) == (3, 10, 0)


def test_check_sufficient():
    account = CreditAccountFactory(purchased=2)
    assert services.check_sufficient(user=account.user, amount=5) is True
    assert services.check_sufficient(user=account.user, amount=6) is False


# --- append-only ledger -------------------------------------------------------------------


def test_transactions_cannot_be_updated_or_deleted():
    account = CreditAccountFactory(purchased=2)
    txn = CreditTransaction.objects.filter(account=account).first()

    txn.reason = "rewritten"
    with pytest.raises(LedgerIsAppendOnly):
        txn.save()
    with pytest.raises(LedgerIsAppendOnly):
        txn.delete()
    with pytest.raises(LedgerIsAppendOnly):
        CreditTransaction.objects.filter(pk=txn.pk).update(reason="rewritten")
    with pytest.raises(LedgerIsAppendOnly):
        CreditTransaction.objects.filter(pk=txn.pk).delete()

    assert CreditTransaction.objects.get(pk=txn.pk).reason == ""


def test_balances_cannot_go_negative_in_the_database():
    account = CreditAccountFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        CreditAccount.objects.filter(pk=account.pk).update(allowance=-1)
    assert balances(account.user) == (3, 0, 0)
