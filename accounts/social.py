"""Social login (Google, GitHub) through allauth headless, ending in the platform's own
simplejwt pair so that clients handle one kind of token whatever way they logged in.

- App clients (mobile, cross-origin SPA) post the provider's token to
  `/_allauth/app/v1/auth/provider/token` and get the pair in the response's `meta`.
- Browser clients (same-site SPA) use the redirect flow
  (`/_allauth/browser/v1/auth/provider/redirect`), which ends with a Django session; they
  trade that session for the pair at `POST /api/v1/auth/social/token`.

Accounts are created only by the platform's own code paths (`user_create`, or social signup
here, which sends the same `user_created` event): allauth's password signup is closed."""

import re
from http import HTTPStatus
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.models import EmailAddress
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.headless.tokens.strategies.sessions import SessionTokenStrategy
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, JsonResponse
from django.utils.crypto import get_random_string

from accounts import services, signals
from accounts.models import Notification, User
from accounts.tokens import token_pair_for

SUSPENDED_CODE = "account_suspended"
SUSPENDED_MESSAGE = "This account is suspended."
_USERNAME_UNSAFE = re.compile(r"[^\w.@+-]")
NAME_MAX_LENGTH = 150
USERNAME_BASE_MAX_LENGTH = 140


class JWTTokenStrategy(SessionTokenStrategy):
    """After a headless login, hand out simplejwt's access/refresh pair (with the blacklist
    and token versioning of the password login) instead of allauth's own tokens."""

    def create_access_token_payload(self, request: HttpRequest) -> dict[str, Any] | None:
        user = request.user
        if not user.is_authenticated or not user.is_active:
            return None
        pair = token_pair_for(user)  # type: ignore[arg-type]
        return {
            "access_token": pair["access"],
            "refresh_token": pair["refresh"],
            "token_type": "Bearer",
        }


class AccountAdapter(DefaultAccountAdapter):
    """allauth's local-account side. Password signup happens at `/api/v1/auth/signup` only
    (so every user gets the credit account and welcome email of `user_create`), and a
    password set through allauth (its reset or change endpoints) revokes every token of the
    user, as the platform's own password endpoints do."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    def set_password(self, user: Any, password: str) -> None:
        super().set_password(user, password)
        services.tokens_revoke_all(user=user)


def _refuse_suspended(sociallogin: Any) -> None:
    """An inactive account never logs in socially, and the refusal changes nothing (allauth
    would connect the social account and wipe the password before noticing).

    The token flow answers 403 in allauth's error shape; the redirect flow sends the browser
    back to the frontend with `?error=account_suspended`."""
    if sociallogin.is_headless:
        raise ValidationError(SUSPENDED_MESSAGE, code=SUSPENDED_CODE)
    raise ImmediateHttpResponse(
        JsonResponse(
            {
                "status": HTTPStatus.FORBIDDEN,
                "errors": [{"code": SUSPENDED_CODE, "message": SUSPENDED_MESSAGE}],
            },
            status=HTTPStatus.FORBIDDEN,
        )
    )


def _unique_username(base: str) -> str:
    base = _USERNAME_UNSAFE.sub("", base)[:USERNAME_BASE_MAX_LENGTH] or "user"
    username = base
    while User.objects.filter(username__iexact=username).exists():
        username = f"{base}-{get_random_string(6).lower()}"
    return username


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    """New social users are students with a unique username; they get their credit account
    and welcome email as if they had signed up with a password. An existing user whose
    verified email matches is logged in and the social account connected to them."""

    def is_open_for_signup(self, request: HttpRequest, sociallogin: Any) -> bool:
        return True

    def pre_social_login(self, request: HttpRequest, sociallogin: Any) -> None:
        """Runs once allauth has matched the social login to a local user (if any), before
        anything is connected or logged in."""
        user = sociallogin.user
        if user is None or user.pk is None:
            return
        if not user.is_active or user.deleted_at is not None:
            _refuse_suspended(sociallogin)
        connecting_by_email = sociallogin.account.pk is None
        if connecting_by_email and user.has_usable_password() and not _email_verified(user):
            # allauth wipes the password of an unverified account it connects by email
            # (whoever set it may not own the address); the tokens issued with that password
            # must stop working too.
            services.tokens_revoke_all(user=user)

    def populate_user(self, request: HttpRequest, sociallogin: Any, data: dict[str, Any]) -> Any:
        user = super().populate_user(request, sociallogin, data)
        user.username = _unique_username(user.username or (user.email or "").split("@")[0])
        user.email = (user.email or "").lower()
        user.first_name = (user.first_name or "")[:NAME_MAX_LENGTH]
        user.last_name = (user.last_name or "")[:NAME_MAX_LENGTH]
        user.role = User.Role.STUDENT
        user.is_staff = False
        return user

    @transaction.atomic
    def save_user(self, request: HttpRequest, sociallogin: Any, form: Any = None) -> Any:
        user = super().save_user(request, sociallogin, form)
        signals.user_created.send(sender=User, user=user)
        services.notify(user=user, type=Notification.Type.WELCOME)
        return user


def _email_verified(user: User) -> bool:
    return EmailAddress.objects.filter(user=user, email__iexact=user.email, verified=True).exists()
