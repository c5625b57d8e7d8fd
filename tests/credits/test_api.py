import pytest
from freezegun import freeze_time

from accounts.models import AuditLog, User
from credits import services
from credits.models import CreditAccount, CreditTransaction
from tests.accounts.factories import StudentFactory
from tests.conftest import client_for
from tests.credits.factories import CreditAccountFactory

pytestmark = pytest.mark.django_db

Kind = CreditTransaction.Kind


def balances(user) -> tuple[int, int, int]:
    account = CreditAccount.objects.get(user=user)
    return account.allowance, account.purchased, account.held


@pytest.fixture
def funded_student(student):
    CreditAccountFactory(user=student, purchased=10)
    services.hold(user=student, amount=4, reference="job:1", idempotency_key="h")
    return student


# --- balance ------------------------------------------------------------------------------


def test_balance(funded_student, django_assert_num_queries):
    with freeze_time("2026-11-20 10:00:00"):
        client = client_for(funded_student)
        # the caller (JWT), their account
        with django_assert_num_queries(2):
            response = client.get("/api/v1/credits")

    assert response.status_code == 200
    assert response.json() == {
        "allowance": 0,
        "purchased": 9,
        "held": 4,
        "available": 9,
        "tier": "free",
        "monthly_allowance": 3,
        "next_reset_at": "2026-12-01T00:00:00Z",
    }


def test_balance_of_a_pro_user_predating_the_app():
    user = StudentFactory(tier=User.Tier.PRO)
    response = client_for(user).get("/api/v1/credits")
    assert response.status_code == 200
    assert response.json()["available"] == 30
    assert response.json()["monthly_allowance"] == 30


def test_anonymous_caller_gets_401(api_client):
    for url in ["/api/v1/credits", "/api/v1/credits/transactions", "/api/v1/credits/check"]:
        assert api_client.get(url).status_code == 401


# --- transactions -------------------------------------------------------------------------


def test_transactions_newest_first_and_only_the_callers(
    student_client, funded_student, other_student
):
    CreditAccountFactory(user=other_student, purchased=5)

    response = student_client.get("/api/v1/credits/transactions")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert [row["kind"] for row in body["results"]] == ["hold", "purchase", "monthly_reset"]
    hold_row = body["results"][0]
    txn = CreditTransaction.objects.get(kind=Kind.HOLD)
    assert hold_row == {
        "id": txn.pk,
        "kind": "hold",
        "allowance_delta": -3,
        "purchased_delta": -1,
        "held_delta": 4,
        "available_delta": -4,
        "balance_after": 9,
        "reason": "",
        "reference": "job:1",
        "hold": txn.hold_id,
        "created_by": None,
        "created_at": hold_row["created_at"],
    }


def test_transactions_filter_by_kind(student_client, funded_student):
    response = student_client.get("/api/v1/credits/transactions?kind=purchase")
    assert response.status_code == 200
    assert [row["kind"] for row in response.json()["results"]] == ["purchase"]


def test_transactions_filter_by_dates(student_client, student):
    with freeze_time("2026-10-31 23:00:00"):
        CreditAccountFactory(user=student)
    with freeze_time("2026-11-01 00:30:00"):
        services.add_credits(user=student, amount=1, idempotency_key="nov-1")
    with freeze_time("2026-11-02 12:00:00"):
        services.add_credits(user=student, amount=2, idempotency_key="nov-2")

    def amounts(query: str) -> list[int]:
        response = student_client.get(f"/api/v1/credits/transactions?{query}")
        assert response.status_code == 200
        return [row["available_delta"] for row in response.json()["results"]]

    assert amounts("from=2026-11-01") == [2, 1]
    assert amounts("to=2026-11-01") == [1, 3]
    assert amounts("from=2026-11-01&to=2026-11-01") == [1]
    assert amounts("from=2026-11-03") == []


@pytest.mark.parametrize("query", ["kind=bogus", "from=yesterday", "to=2026-13-01", "page_size=0"])
def test_transactions_bad_filters_are_400(student_client, funded_student, query):
    response = student_client.get(f"/api/v1/credits/transactions?{query}")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


@pytest.mark.parametrize("page_size", [2, 20])
def test_transactions_query_count_does_not_grow_with_page_size(
    student_client, student, page_size, django_assert_num_queries
):
    CreditAccountFactory(user=student, purchased=30)
    for number in range(25):
        services.deduct_credits(user=student, amount=1, idempotency_key=f"u{number}")

    # the caller (JWT), COUNT, the page
    with django_assert_num_queries(3):
        response = student_client.get(f"/api/v1/credits/transactions?page_size={page_size}")

    assert response.status_code == 200
    assert response.json()["count"] == 27
    assert len(response.json()["results"]) == page_size


# --- check --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "sufficient"), [(0, True), (9, True), (10, False), (10**12, False)]
)
def test_check(student_client, funded_student, amount, sufficient):
    response = student_client.get(f"/api/v1/credits/check?amount={amount}")
    assert response.status_code == 200
    assert response.json() == {"sufficient": sufficient, "available": 9}


@pytest.mark.parametrize("query", ["amount=-1", "amount=abc", "amount=1.5", "", "amount="])
def test_check_bad_amount_is_400(student_client, funded_student, query):
    response = student_client.get(f"/api/v1/credits/check?{query}")
    assert response.status_code == 400
    body = response.json()
    assert (body["code"], list(body["errors"])) == ("invalid", ["amount"])
    assert balances(funded_student) == (0, 9, 4)


# --- staff --------------------------------------------------------------------------------


def test_staff_grants_credits(staff_client, staff, student):
    response = staff_client.post(
        "/api/v1/credits/grant",
        {"user_id": student.pk, "amount": 25, "reason": "Course bonus", "idempotency_key": "b1"},
    )

    assert response.status_code == 201
    body = response.json()
    txn = CreditTransaction.objects.get(kind=Kind.GRANT)
    assert body["transaction"]["id"] == txn.pk
    assert (body["transaction"]["kind"], body["transaction"]["purchased_delta"]) == ("grant", 25)
    assert body["transaction"]["created_by"] == staff.pk
    assert (body["balance"]["available"], body["balance"]["purchased"]) == (28, 25)
    assert txn.idempotency_key == "grant:b1"
    audit = AuditLog.objects.get()
    assert (audit.actor, audit.action, audit.target_id, audit.reason) == (
        staff,
        "credits.grant",
        str(student.pk),
        "Course bonus",
    )


def test_grant_retried_with_the_same_key_applies_once(staff_client, student):
    payload = {"user_id": student.pk, "amount": 25, "reason": "bonus", "idempotency_key": "b1"}
    first = staff_client.post("/api/v1/credits/grant", payload)
    second = staff_client.post("/api/v1/credits/grant", payload)
    assert first.status_code == second.status_code == 201
    assert first.json()["transaction"] == second.json()["transaction"]
    assert balances(student) == (3, 25, 0)
    assert AuditLog.objects.count() == 1


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        (lambda uid: {"amount": 5, "reason": "r", "idempotency_key": "k"}, "user_id"),
        (
            lambda uid: {"user_id": 999_999, "amount": 5, "reason": "r", "idempotency_key": "k"},
            "user_id",
        ),
        (
            lambda uid: {"user_id": "me", "amount": 5, "reason": "r", "idempotency_key": "k"},
            "user_id",
        ),
        (
            lambda uid: {"user_id": uid, "amount": 0, "reason": "r", "idempotency_key": "k"},
            "amount",
        ),
        (
            lambda uid: {"user_id": uid, "amount": -5, "reason": "r", "idempotency_key": "k"},
            "amount",
        ),
        (
            lambda uid: {"user_id": uid, "amount": "lots", "reason": "r", "idempotency_key": "k"},
            "amount",
        ),
        (
            lambda uid: {
                "user_id": uid,
                "amount": 1_000_001,
                "reason": "r",
                "idempotency_key": "k",
            },
            "amount",
        ),
        (lambda uid: {"user_id": uid, "amount": 5, "idempotency_key": "k"}, "reason"),
        (
            lambda uid: {"user_id": uid, "amount": 5, "reason": "  ", "idempotency_key": "k"},
            "reason",
        ),
        (lambda uid: {"user_id": uid, "amount": 5, "reason": "r"}, "idempotency_key"),
        (
            lambda uid: {"user_id": uid, "amount": 5, "reason": "r", "idempotency_key": ""},
            "idempotency_key",
        ),
    ],
)
def test_grant_bad_input_is_400(staff_client, student, payload, field):
    response = staff_client.post("/api/v1/credits/grant", payload(student.pk))
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]
    assert not CreditTransaction.objects.filter(kind=Kind.GRANT).exists()
    assert not AuditLog.objects.exists()


def test_staff_adjustment_and_the_402_path(staff_client, student):
    CreditAccountFactory(user=student, purchased=2)

    refused = staff_client.post(
        "/api/v1/credits/adjust",
        {"user_id": student.pk, "amount": 6, "reason": "dup", "idempotency_key": "a1"},
    )
    assert refused.status_code == 402
    assert refused.json() == {
        "status_code": 402,
        "code": "insufficient_credits",
        "message": "Not enough credits: 6 required, 5 available.",
        "required": 6,
        "available": 5,
    }
    assert balances(student) == (3, 2, 0)
    assert not AuditLog.objects.exists()

    done = staff_client.post(
        "/api/v1/credits/adjust",
        {"user_id": student.pk, "amount": 4, "reason": "dup", "idempotency_key": "a2"},
    )
    assert done.status_code == 201
    assert done.json()["transaction"]["kind"] == "adjustment"
    assert done.json()["balance"]["available"] == 1
    assert AuditLog.objects.get().action == "credits.adjustment"
    assert CreditTransaction.objects.get(kind=Kind.ADJUSTMENT).idempotency_key == "adjust:a2"


def test_adjustment_retried_with_the_same_key_applies_once(staff_client, student):
    CreditAccountFactory(user=student, purchased=10)
    payload = {"user_id": student.pk, "amount": 4, "reason": "dup", "idempotency_key": "a1"}

    first = staff_client.post("/api/v1/credits/adjust", payload)
    second = staff_client.post("/api/v1/credits/adjust", payload)

    assert first.status_code == second.status_code == 201
    assert first.json()["transaction"] == second.json()["transaction"]
    assert balances(student) == (0, 9, 0)
    assert CreditTransaction.objects.filter(kind=Kind.ADJUSTMENT).count() == 1
    assert AuditLog.objects.count() == 1


@pytest.mark.parametrize("url", ["/api/v1/credits/grant", "/api/v1/credits/adjust"])
def test_grant_or_adjustment_without_an_idempotency_key_is_400(staff_client, student, url):
    CreditAccountFactory(user=student, purchased=10)

    response = staff_client.post(url, {"user_id": student.pk, "amount": 4, "reason": "dup"})

    assert response.status_code == 400
    body = response.json()
    assert (body["code"], body["errors"]) == (
        "invalid",
        {"idempotency_key": ["This field is required."]},
    )
    assert balances(student) == (3, 10, 0)
    assert CreditTransaction.objects.count() == 2
    assert not AuditLog.objects.exists()


def test_staff_reads_a_users_credits_and_transactions(staff_client, funded_student):
    balance = staff_client.get(f"/api/v1/users/{funded_student.pk}/credits")
    history = staff_client.get(f"/api/v1/users/{funded_student.pk}/credits/transactions")

    assert balance.status_code == 200
    assert balance.json()["available"] == 9
    assert history.status_code == 200
    assert [row["kind"] for row in history.json()["results"]] == [
        "hold",
        "purchase",
        "monthly_reset",
    ]


@pytest.mark.parametrize(
    "url", ["/api/v1/users/999999/credits", "/api/v1/users/999999/credits/transactions"]
)
def test_staff_reading_an_unknown_user_gets_404(staff_client, url):
    response = staff_client.get(url)
    assert response.status_code == 404
    assert CreditAccount.objects.count() == 0


@pytest.mark.parametrize(
    ("client_name", "method", "url_template", "expected"),
    [
        ("student_client", "post", "/api/v1/credits/grant", 403),
        ("mentor_client", "post", "/api/v1/credits/grant", 403),
        ("student_client", "post", "/api/v1/credits/adjust", 403),
        ("student_client", "get", "/api/v1/users/{id}/credits", 403),
        ("student_client", "get", "/api/v1/users/{id}/credits/transactions", 403),
        ("other_student_client", "get", "/api/v1/users/{id}/credits", 403),
        ("mentor_client", "get", "/api/v1/users/{id}/credits/transactions", 403),
        ("api_client", "post", "/api/v1/credits/grant", 401),
        ("api_client", "get", "/api/v1/users/{id}/credits", 401),
    ],
)
def test_staff_endpoints_refuse_others_and_change_nothing(
    request, funded_student, client_name, method, url_template, expected
):
    client = request.getfixturevalue(client_name)
    before = (balances(funded_student), CreditTransaction.objects.count())

    response = getattr(client, method)(
        url_template.format(id=funded_student.pk),
        {"user_id": funded_student.pk, "amount": 5, "reason": "free money"},
    )

    assert response.status_code == expected
    assert (balances(funded_student), CreditTransaction.objects.count()) == before
    assert not AuditLog.objects.exists()
