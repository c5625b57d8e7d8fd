from django.conf import settings
from rest_framework import serializers

from credits.models import CreditTransaction
from credits.services import MAX_IDEMPOTENCY_KEY_LENGTH


class BalanceSerializer(serializers.Serializer):
    allowance = serializers.IntegerField()
    purchased = serializers.IntegerField()
    held = serializers.IntegerField()
    available = serializers.IntegerField()
    tier = serializers.CharField()
    monthly_allowance = serializers.IntegerField()
    next_reset_at = serializers.DateTimeField()


class TransactionSerializer(serializers.ModelSerializer):
    available_delta = serializers.IntegerField(
        read_only=True, help_text="Change in available credits (allowance + purchased)."
    )

    class Meta:
        model = CreditTransaction
        fields = [
            "id",
            "kind",
            "allowance_delta",
            "purchased_delta",
            "held_delta",
            "available_delta",
            "balance_after",
            "reason",
            "reference",
            "hold",
            "created_by",
            "created_at",
        ]
        read_only_fields = fields


class CheckQuerySerializer(serializers.Serializer):
    amount = serializers.IntegerField(min_value=0)


class CheckResultSerializer(serializers.Serializer):
    sufficient = serializers.BooleanField()
    available = serializers.IntegerField()


class GrantSerializer(serializers.Serializer):
    user_id = serializers.IntegerField(min_value=1)
    amount = serializers.IntegerField(min_value=1, max_value=settings.CREDITS_MAX_AMOUNT)
    reason = serializers.CharField(max_length=500)
    idempotency_key = serializers.CharField(
        max_length=MAX_IDEMPOTENCY_KEY_LENGTH - len("grant:"),
        help_text="Required. A key the client chooses for this grant (a UUID, say) and sends "
        "again when it retries: the grant is applied once per key.",
    )


class AdjustSerializer(GrantSerializer):
    idempotency_key = serializers.CharField(
        max_length=MAX_IDEMPOTENCY_KEY_LENGTH - len("adjust:"),
        help_text="Required. A key the client chooses for this adjustment and sends again "
        "when it retries: the adjustment is applied once per key.",
    )


class GrantResultSerializer(serializers.Serializer):
    transaction = TransactionSerializer()
    balance = BalanceSerializer()


class PaymentDataSerializer(serializers.Serializer):
    user_id = serializers.IntegerField(min_value=1)
    credits = serializers.IntegerField(min_value=1, max_value=settings.CREDITS_MAX_AMOUNT)
    amount_cents = serializers.IntegerField(min_value=0)


class PaymentEventSerializer(serializers.Serializer):
    id = serializers.CharField(max_length=MAX_IDEMPOTENCY_KEY_LENGTH - len("payment:"))
    type = serializers.CharField(max_length=100)
    data = serializers.DictField(required=False, default=dict)  # type: ignore[assignment]


class WebhookResultSerializer(serializers.Serializer):
    received = serializers.BooleanField()
    processed = serializers.BooleanField(
        help_text="False for event types this endpoint does not act on."
    )
