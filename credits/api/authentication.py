from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication


class NoAuthentication(BaseAuthentication):
    """For endpoints that authenticate the message instead of a user (the payment webhook,
    whose view verifies the body's signature): any Authorization header is ignored."""

    def authenticate(self, request: Any) -> None:
        return None


class PaymentSignatureScheme(OpenApiAuthenticationExtension):
    """Documents the webhook's signature header as its security scheme."""

    target_class = NoAuthentication
    name = "paymentSignature"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "X-Signature",
            "description": "Hex HMAC-SHA256 of the raw request body with PAYMENT_WEBHOOK_SECRET.",
        }
