import re

import pytest
from django.test import Client

from accounts.models import AuditLog
from credits import services
from credits.models import CreditAccount, CreditTransaction
from tests.accounts.factories import AdminFactory, StudentFactory
from tests.credits.factories import CreditAccountFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/accounts/user/"


@pytest.fixture
def superuser():
    return AdminFactory(is_superuser=True)


@pytest.fixture
def admin_client(superuser) -> Client:
    client = Client()
    client.force_login(superuser)
    return client


def grant(admin_client, users, **fields):
    data = {
        "action": "grant_credits",
        "_selected_action": [user.pk for user in users],
        "index": 0,
        **fields,
    }
    return admin_client.post(CHANGELIST, data, follow=True)


def purchased(user) -> int:
    return CreditAccount.objects.get(user=user).purchased


def test_grant_credits_action_grants_each_selected_user(admin_client, superuser):
    first = CreditAccountFactory().user
    second = StudentFactory()  # predates the credits app: no account yet
    bystander = CreditAccountFactory().user

    response = grant(
        admin_client, [first, second], amount=15, reason="Workshop prize", idempotency_key="k1"
    )

    assert response.status_code == 200
    assert "Granted 15 credit(s) to 2 user(s)." in [str(m) for m in response.context["messages"]]
    assert (purchased(first), purchased(second), purchased(bystander)) == (15, 15, 0)
    grants = CreditTransaction.objects.filter(kind="grant").order_by("account__user_id")
    assert [(g.account.user_id, g.created_by_id, g.reason) for g in grants] == [
        (first.pk, superuser.pk, "Workshop prize"),
        (second.pk, superuser.pk, "Workshop prize"),
    ]
    assert {g.idempotency_key for g in grants} == {"admin-grant:k1"}
    assert sorted(AuditLog.objects.values_list("action", "target_id", "actor_id")) == sorted(
        [
            ("credits.grant", str(first.pk), superuser.pk),
            ("credits.grant", str(second.pk), superuser.pk),
        ]
    )


def test_submitting_the_same_action_form_twice_grants_once(admin_client):
    user = CreditAccountFactory().user
    grant(admin_client, [user], amount=15, reason="prize", idempotency_key="same-page")
    grant(admin_client, [user], amount=15, reason="prize", idempotency_key="same-page")
    assert purchased(user) == 15


def test_each_rendering_of_the_list_carries_a_fresh_key(admin_client):
    keys = []
    for _ in range(2):
        page = admin_client.get(CHANGELIST).content.decode()
        keys.append(re.search(r'name="idempotency_key" value="([0-9a-f]{32})"', page).group(1))
    assert keys[0] != keys[1]


REQUIRED = "A positive whole amount and a reason are required."
# The action form itself refuses a non-positive or non-numeric amount before the action runs.
REFUSED_BY_ACTION_FORM = "No action selected."


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"amount": "", "reason": "prize"}, REQUIRED),
        ({"amount": "5", "reason": ""}, REQUIRED),
        ({"amount": "5", "reason": "   "}, REQUIRED),
        ({"amount": "0", "reason": "prize"}, REFUSED_BY_ACTION_FORM),
        ({"amount": "abc", "reason": "prize"}, REFUSED_BY_ACTION_FORM),
    ],
)
def test_grant_without_a_valid_amount_and_reason_changes_nothing(admin_client, fields, message):
    user = CreditAccountFactory().user

    response = grant(admin_client, [user], **fields)

    assert response.status_code == 200
    assert [str(m) for m in response.context["messages"]] == [message]
    assert purchased(user) == 0
    assert not AuditLog.objects.exists()


def test_ledger_admin_is_read_only(admin_client):
    account = CreditAccountFactory(purchased=5)
    txn = CreditTransaction.objects.filter(account=account).first()
    services.hold(user=account.user, amount=1, reference="job:1", idempotency_key="h")

    for url in [
        "/admin/credits/creditaccount/",
        f"/admin/credits/creditaccount/{account.pk}/change/",
        "/admin/credits/credittransaction/",
        f"/admin/credits/credittransaction/{txn.pk}/change/",
        "/admin/credits/credithold/",
    ]:
        assert admin_client.get(url).status_code == 200, url
    for url in [
        "/admin/credits/creditaccount/add/",
        "/admin/credits/credittransaction/add/",
        f"/admin/credits/credittransaction/{txn.pk}/delete/",
        f"/admin/credits/creditaccount/{account.pk}/delete/",
    ]:
        assert admin_client.get(url).status_code == 403, url

    response = admin_client.post(
        f"/admin/credits/creditaccount/{account.pk}/change/", {"purchased": 1000}
    )
    assert response.status_code == 403
    account.refresh_from_db()
    assert account.purchased == 5
