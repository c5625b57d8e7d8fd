import hashlib
import hmac
import importlib
import json

import pytest
from django.apps import apps as django_apps

from credits import services
from credits.models import CreditAccount, CreditTransaction, ProcessedPaymentEvent
from tests.conftest import client_for
from tests.credits.factories import CreditAccountFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/credits/webhooks/payment"
SECRET = "whsec_test_0123456789"


@pytest.fixture(autouse=True)
def _webhook_secret(settings):
    settings.PAYMENT_WEBHOOK_SECRET = SECRET


def sign(body: bytes, secret: str = SECRET) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def event(user_id: int, *, event_id: str = "evt_1", credits: int = 50, kind=None) -> bytes:
    return json.dumps(
        {
            "id": event_id,
            "type": kind or "payment.succeeded",
            "data": {"user_id": user_id, "credits": credits, "amount_cents": 1999},
        }
    ).encode()


def deliver(api_client, body: bytes, signature: str | None):
    headers = {} if signature is None else {"HTTP_X_SIGNATURE": signature}
    return api_client.post(URL, data=body, content_type="application/json", **headers)


def purchased(user) -> int:
    return CreditAccount.objects.get(user=user).purchased


def test_signed_payment_credits_the_user(api_client, student):
    CreditAccountFactory(user=student)
    body = event(student.pk)

    response = deliver(api_client, body, sign(body))

    assert response.status_code == 200
    assert response.json() == {"received": True, "processed": True}
    assert purchased(student) == 50
    txn = CreditTransaction.objects.get(kind="purchase")
    assert (txn.idempotency_key, txn.reference) == ("payment:evt_1", "payment:evt_1")
    assert txn.reason == "Payment evt_1: 50 credits for 1999 cents"


def test_duplicate_delivery_credits_once(api_client, student):
    CreditAccountFactory(user=student)
    body = event(student.pk)

    responses = [deliver(api_client, body, sign(body)) for _ in range(3)]

    assert [r.status_code for r in responses] == [200, 200, 200]
    assert purchased(student) == 50
    assert CreditTransaction.objects.filter(kind="purchase").count() == 1


def test_different_events_each_credit(api_client, student):
    CreditAccountFactory(user=student)
    for event_id in ["evt_1", "evt_2"]:
        body = event(student.pk, event_id=event_id)
        assert deliver(api_client, body, sign(body)).status_code == 200
    assert purchased(student) == 100


@pytest.mark.parametrize(
    "signature",
    [
        None,
        "",
        "deadbeef",
        sign(b"another body"),
        sign(b"placeholder", secret="wrong-secret"),
        "zz" * 32,
        "é" * 64,
    ],
    ids=["missing", "empty", "short", "other-body", "wrong-secret", "not-hex", "non-ascii"],
)
def test_bad_or_missing_signature_is_400_and_changes_nothing(api_client, student, signature):
    CreditAccountFactory(user=student)
    body = event(student.pk)

    response = deliver(api_client, body, signature)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_signature"
    assert purchased(student) == 0
    assert not CreditTransaction.objects.filter(kind="purchase").exists()


def test_signature_over_a_tampered_body_is_refused(api_client, student):
    CreditAccountFactory(user=student)
    original = event(student.pk, credits=5)
    tampered = event(student.pk, credits=5000)

    response = deliver(api_client, tampered, sign(original))

    assert response.status_code == 400
    assert purchased(student) == 0


def test_jwt_of_a_user_does_not_replace_the_signature(student):
    CreditAccountFactory(user=student)
    body = event(student.pk)
    response = deliver(client_for(student), body, None)
    assert response.status_code == 400
    assert purchased(student) == 0


def test_unknown_event_types_are_acknowledged_and_ignored(api_client, student):
    CreditAccountFactory(user=student)
    body = event(student.pk, kind="payment.refunded")

    response = deliver(api_client, body, sign(body))

    assert response.status_code == 200
    assert response.json() == {"received": True, "processed": False}
    assert purchased(student) == 0


@pytest.mark.parametrize(
    "payload",
    [
        b"not json",
        b"[1, 2]",
        json.dumps({"type": "payment.succeeded", "data": {}}).encode(),
        json.dumps({"id": "evt_1", "type": "payment.succeeded", "data": {"credits": 5}}).encode(),
        json.dumps(
            {
                "id": "evt_1",
                "type": "payment.succeeded",
                "data": {"user_id": 1, "credits": -5, "amount_cents": 1},
            }
        ).encode(),
        json.dumps(
            {
                "id": "evt_1",
                "type": "payment.succeeded",
                "data": {"user_id": 999_999, "credits": 5, "amount_cents": 1},
            }
        ).encode(),
    ],
    ids=["not-json", "not-object", "no-id", "no-user", "negative-credits", "unknown-user"],
)
def test_signed_but_invalid_events_are_400(api_client, student, payload):
    CreditAccountFactory(user=student)

    response = deliver(api_client, payload, sign(payload))

    assert response.status_code == 400
    assert response.json()["code"] in {"invalid", "invalid_json"}
    assert purchased(student) == 0


def test_same_event_id_with_other_credits_is_a_conflict(api_client, student):
    CreditAccountFactory(user=student)
    first = event(student.pk, credits=50)
    second = event(student.pk, credits=60)
    deliver(api_client, first, sign(first))

    response = deliver(api_client, second, sign(second))

    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_key_reused"
    assert purchased(student) == 50


def test_an_event_id_resent_for_another_user_is_a_conflict_and_changes_nothing(
    api_client, student, other_student
):
    CreditAccountFactory(user=student)
    CreditAccountFactory(user=other_student)
    first = event(student.pk)
    assert deliver(api_client, first, sign(first)).status_code == 200
    before = list(CreditTransaction.objects.order_by("pk").values_list("pk", flat=True))

    second = event(other_student.pk)
    response = deliver(api_client, second, sign(second))

    assert response.status_code == 409
    assert response.json() == {
        "status_code": 409,
        "code": "payment_event_already_applied",
        "message": "Payment event evt_1 was already credited to another account.",
    }
    assert (purchased(student), purchased(other_student)) == (50, 0)
    assert list(CreditTransaction.objects.order_by("pk").values_list("pk", flat=True)) == before
    assert list(
        ProcessedPaymentEvent.objects.values_list("event_id", "transaction__account__user")
    ) == [("evt_1", student.pk)]


def test_unconfigured_secret_refuses_with_503(api_client, student, settings):
    settings.PAYMENT_WEBHOOK_SECRET = ""
    CreditAccountFactory(user=student)
    body = event(student.pk)

    response = deliver(api_client, body, sign(body, secret=""))

    assert response.status_code == 503
    assert response.json()["code"] == "webhook_not_configured"
    assert purchased(student) == 0


def test_migration_records_events_credited_before_the_table_existed(student, other_student):
    migration = importlib.import_module("credits.migrations.0002_processed_payment_event")
    first = services.add_credits(user=student, amount=5, idempotency_key="payment:evt_old")
    services.add_credits(user=other_student, amount=5, idempotency_key="payment:evt_old")
    services.add_credits(user=student, amount=5, idempotency_key="grant-not-a-payment")

    migration.record_credited_events(django_apps, None)

    assert list(ProcessedPaymentEvent.objects.values_list("event_id", "transaction")) == [
        ("evt_old", first.pk)
    ]
