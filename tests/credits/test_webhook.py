import hashlib
import hmac
import json

import pytest

from credits.models import CreditAccount, CreditTransaction
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


def test_unconfigured_secret_refuses_with_503(api_client, student, settings):
    settings.PAYMENT_WEBHOOK_SECRET = ""
    CreditAccountFactory(user=student)
    body = event(student.pk)

    response = deliver(api_client, body, sign(body, secret=""))

    assert response.status_code == 503
    assert response.json()["code"] == "webhook_not_configured"
    assert purchased(student) == 0
