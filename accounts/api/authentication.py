from typing import Any

from rest_framework import HTTP_HEADER_ENCODING, exceptions
from rest_framework.request import Request
from rest_framework_simplejwt import authentication
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import AccessToken, Token

from accounts.models import User
from accounts.tokens import TOKEN_VERSION_CLAIM
from accounts.user_cache import user_for_authentication


class JWTAuthentication(authentication.JWTAuthentication):
    """simplejwt's bearer authentication, plus: a suspended user is told so (403) on every
    request, and a token older than the user's `token_version` is revoked (401). The user
    comes from `accounts.user_cache` (a cache read, not a query, while the row is current).

    The rate limiter has already verified the token to pick the caller's bucket; that
    verified token (`request.verified_access_token`, for the same raw token) is used instead
    of checking the signature again."""

    def authenticate(self, request: Request) -> tuple[User, Token] | None:  # type: ignore[override]
        self.verified = getattr(request._request, "verified_access_token", None)
        return super().authenticate(request)  # type: ignore[return-value]

    def get_validated_token(self, raw_token: bytes) -> Token:
        verified = getattr(self, "verified", None)
        if (
            isinstance(verified, AccessToken)
            and AccessToken in api_settings.AUTH_TOKEN_CLASSES
            and verified.token == raw_token.decode(HTTP_HEADER_ENCODING)
        ):
            return verified
        return super().get_validated_token(raw_token)

    def get_user(self, validated_token: Any) -> User:  # type: ignore[override]
        try:
            user_id = validated_token[api_settings.USER_ID_CLAIM]
        except KeyError:
            raise exceptions.AuthenticationFailed(
                "Token contained no recognizable user identification", code="token_not_valid"
            ) from None
        user = user_for_authentication(user_id=user_id)
        if user is None or user.deleted_at is not None:
            raise exceptions.AuthenticationFailed("User not found", code="user_not_found")
        if not user.is_active:
            raise exceptions.PermissionDenied(
                "This account is suspended.", code="account_suspended"
            )
        if validated_token.get(TOKEN_VERSION_CLAIM) != user.token_version:
            raise exceptions.AuthenticationFailed("Token has been revoked", code="token_revoked")
        return user
