from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from credits import services
from credits.models import CreditAccount, CreditHold
from credits.selectors import ledger_mismatches
from tests.credits.factories import CreditAccountFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def busy_accounts():
    """Accounts after every kind of movement."""
    first = CreditAccountFactory(purchased=10)
    second = CreditAccountFactory()
    services.deduct_credits(user=first.user, amount=4, reference="job:1", idempotency_key="u")
    held = services.hold(user=first.user, amount=3, reference="job:2", idempotency_key="h")
    services.capture(hold_id=held.pk, amount=2, idempotency_key="c")
    services.hold(user=first.user, amount=2, reference="job:3", idempotency_key="h3")
    services.refund(user=first.user, amount=1, reference="job:1", idempotency_key="r")
    services.transfer(
        sender=first.user, receiver=second.user, amount=1, reference="s", idempotency_key="t"
    )
    services.reset_monthly_credits(period="2099-01")
    return first, second


def test_check_ledger_passes_on_a_consistent_ledger(busy_accounts):
    out = StringIO()
    call_command("check_ledger", stdout=out)
    assert out.getvalue().strip() == "Ledger balanced: 2 account(s) checked."
    assert ledger_mismatches() == []


def test_check_ledger_fails_naming_the_broken_accounts(busy_accounts):
    first, _ = busy_accounts
    first.refresh_from_db()
    CreditAccount.objects.filter(pk=first.pk).update(purchased=first.purchased + 5)

    err = StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("check_ledger", stderr=err)

    assert str(caught.value) == f"Ledger broken for 1 account(s): {first.pk}"
    assert caught.value.returncode == 1
    assert err.getvalue().strip() == (
        f"account {first.pk} (user {first.user_id}): "
        f"purchased {first.purchased + 5} != ledger {first.purchased}"
    )
    CreditAccount.objects.filter(pk=first.pk).update(purchased=first.purchased)
    call_command("check_ledger", stdout=StringIO())


def test_held_must_match_open_holds(busy_accounts):
    first, _ = busy_accounts
    open_hold = CreditHold.objects.get(status=CreditHold.Status.OPEN)
    CreditHold.objects.filter(pk=open_hold.pk).update(status=CreditHold.Status.RELEASED)

    [mismatch] = ledger_mismatches()

    assert mismatch.account_id == first.pk
    assert mismatch.describe().endswith("held 2 != open holds 0")
    CreditHold.objects.filter(pk=open_hold.pk).update(status=CreditHold.Status.OPEN)
    assert ledger_mismatches() == []


def test_ledger_check_is_one_query(busy_accounts, django_assert_num_queries):
    # SELECT accounts LEFT JOIN transactions GROUP BY account HAVING <mismatch>,
    # with the open holds summed in a correlated subquery.
    with django_assert_num_queries(1):
        ledger_mismatches()
