import json
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from accounts.selectors import request_user, user_get
from config.api.schema import error_response
from config.errors import NotFound, ValidationFailed
from credits import selectors, services
from credits.api import serializers as s
from credits.api.authentication import NoAuthentication
from credits.api.permissions import IsStaff
from credits.models import CreditTransaction

USER_ID_PARAMETER = OpenApiParameter("user_id", OpenApiTypes.INT, OpenApiParameter.PATH)


def balance_body(user: User) -> dict[str, Any]:
    balance = services.get_balance(user=user)
    return {
        "allowance": balance.allowance,
        "purchased": balance.purchased,
        "held": balance.held,
        "available": balance.available,
        "tier": user.tier,
        "monthly_allowance": services.tier_monthly_allowance(user.tier),
        "next_reset_at": services.next_reset_at(),
    }


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


class TransactionFilter(filters.FilterSet):
    """`?kind=`, and `?from=` / `?to=` as dates (inclusive, in TIME_ZONE)."""

    kind = filters.ChoiceFilter(choices=CreditTransaction.Kind.choices)

    class Meta:
        model = CreditTransaction
        fields = ["kind"]

    def filter_from(self, queryset: QuerySet, name: str, value: date) -> QuerySet:
        return queryset.filter(created_at__gte=_start_of(value))

    def filter_to(self, queryset: QuerySet, name: str, value: date) -> QuerySet:
        return queryset.filter(created_at__lt=_start_of(value + timedelta(days=1)))


# `from` is a Python keyword, so these two are declared outside the class body.
TransactionFilter.base_filters["from"] = filters.DateFilter(
    method="filter_from", label="On or after this date (YYYY-MM-DD)."
)
TransactionFilter.base_filters["to"] = filters.DateFilter(
    method="filter_to", label="On or before this date (YYYY-MM-DD)."
)


class TransactionListBase(generics.ListAPIView):
    queryset = CreditTransaction.objects.none()
    serializer_class = s.TransactionSerializer
    filterset_class = TransactionFilter
    search_fields = ["reference", "reason"]
    ordering_fields = ["created_at", "id"]
    ordering = ["-created_at", "-id"]


@extend_schema(tags=["credits"], responses={200: s.BalanceSerializer})
class BalanceView(APIView):
    """The caller's credits."""

    def get(self, request: Request) -> Response:
        return Response(s.BalanceSerializer(balance_body(request_user(request))).data)


@extend_schema(tags=["credits"])
class TransactionListView(TransactionListBase):
    """The caller's transactions, newest first."""

    def get_queryset(self) -> QuerySet[CreditTransaction]:
        return selectors.transaction_list(user_id=request_user(self.request).pk)


@extend_schema(
    tags=["credits"],
    parameters=[s.CheckQuerySerializer],
    responses={200: s.CheckResultSerializer, 400: error_response("Missing or invalid amount.")},
)
class CheckView(APIView):
    """Whether the caller has `amount` credits available now (advisory: spending checks
    again)."""

    def get(self, request: Request) -> Response:
        query = s.CheckQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        balance = services.get_balance(user=request_user(request))
        amount = query.validated_data["amount"]
        return Response({"sufficient": balance.available >= amount, "available": balance.available})


@extend_schema(
    tags=["credits"],
    request=s.GrantSerializer,
    responses={
        201: s.GrantResultSerializer,
        400: error_response("Invalid input, including a missing idempotency_key."),
        409: error_response("The idempotency_key was already used for another operation."),
    },
)
class GrantView(APIView):
    """Staff: grant credits to a user (audited). `idempotency_key` is required: a retry
    that sends the same key grants once (a missing key is a 400, never a fresh key that
    would grant again)."""

    permission_classes = [IsStaff]

    def post(self, request: Request) -> Response:
        serializer = s.GrantSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        user = user_get(user_id=data["user_id"])
        if user is None:
            raise ValidationFailed("Invalid input: user_id.", errors={"user_id": ["No such user."]})
        txn = services.add_credits(
            user=user,
            amount=data["amount"],
            kind=CreditTransaction.Kind.GRANT,
            reason=data["reason"],
            idempotency_key=f"grant:{data['idempotency_key']}",
            acting_user=request_user(request),
        )
        body = {"transaction": txn, "balance": balance_body(user)}
        return Response(s.GrantResultSerializer(body).data, status=status.HTTP_201_CREATED)


@extend_schema(
    tags=["credits"],
    request=s.AdjustSerializer,
    responses={
        201: s.GrantResultSerializer,
        400: error_response("Invalid input, including a missing idempotency_key."),
        402: error_response("The user has fewer credits available than the amount."),
        409: error_response("The idempotency_key was already used for another operation."),
    },
)
class AdjustView(APIView):
    """Staff: remove credits from a user as a correction (an `adjustment` transaction,
    allowance first; audited). `idempotency_key` is required: a retry that sends the same
    key applies once."""

    permission_classes = [IsStaff]

    def post(self, request: Request) -> Response:
        serializer = s.AdjustSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        user = user_get(user_id=data["user_id"])
        if user is None:
            raise ValidationFailed("Invalid input: user_id.", errors={"user_id": ["No such user."]})
        txn = services.deduct_credits(
            user=user,
            amount=data["amount"],
            kind=CreditTransaction.Kind.ADJUSTMENT,
            reason=data["reason"],
            idempotency_key=f"adjust:{data['idempotency_key']}",
            acting_user=request_user(request),
        )
        body = {"transaction": txn, "balance": balance_body(user)}
        return Response(s.GrantResultSerializer(body).data, status=status.HTTP_201_CREATED)


def _user_or_404(user_id: int) -> User:
    user = user_get(user_id=user_id)
    if user is None:
        raise NotFound("No such user.")
    return user


@extend_schema(
    tags=["credits"], parameters=[USER_ID_PARAMETER], responses={200: s.BalanceSerializer}
)
class UserBalanceView(APIView):
    """Staff: a user's credits."""

    permission_classes = [IsStaff]

    def get(self, request: Request, user_id: int) -> Response:
        return Response(s.BalanceSerializer(balance_body(_user_or_404(user_id))).data)


@extend_schema(tags=["credits"], parameters=[USER_ID_PARAMETER])
class UserTransactionListView(TransactionListBase):
    """Staff: a user's transactions, newest first."""

    permission_classes = [IsStaff]

    def get_queryset(self) -> QuerySet[CreditTransaction]:
        return selectors.transaction_list(user_id=_user_or_404(self.kwargs["user_id"]).pk)


@extend_schema(
    tags=["credits"],
    request=s.PaymentEventSerializer,
    responses={
        200: s.WebhookResultSerializer,
        400: error_response("Bad or missing signature, or invalid event."),
        409: error_response(
            "The event id was already credited to another account, or with other credits."
        ),
        503: error_response("The webhook secret is not configured."),
    },
)
class PaymentWebhookView(APIView):
    """The payment provider's events, authenticated by `X-Signature`: the hex HMAC-SHA256
    of the raw body with PAYMENT_WEBHOOK_SECRET. `payment.succeeded` credits the user once
    per event id, across all accounts (the same id naming another user is a 409); other
    types are acknowledged and ignored."""

    permission_classes = [AllowAny]
    authentication_classes = [NoAuthentication]

    def post(self, request: Request) -> Response:
        body = request.body
        services.payment_signature_verify(body=body, signature=request.headers.get("X-Signature"))
        try:
            payload = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise ValidationFailed("The body is not valid JSON.", code="invalid_json") from None
        event = s.PaymentEventSerializer(data=payload)
        event.is_valid(raise_exception=True)
        if event.validated_data["type"] != services.PAYMENT_SUCCEEDED:
            return Response({"received": True, "processed": False})
        data = s.PaymentDataSerializer(data=event.validated_data["data"])
        data.is_valid(raise_exception=True)
        services.payment_event_apply(
            event_id=event.validated_data["id"],
            event_type=event.validated_data["type"],
            **data.validated_data,
        )
        return Response({"received": True, "processed": True})
