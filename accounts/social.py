"""Social login (Google, GitHub) through allauth headless, ending in the platform's own
simplejwt pair so that clients handle one kind of token whatever way they logged in."""

from typing import Any

from allauth.headless.tokens.strategies.sessions import SessionTokenStrategy
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.db import transaction
from django.http import HttpRequest
from django.utils.crypto import get_random_string

from accounts import signals
from accounts.models import User
from accounts.tokens import token_pair_for


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


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    """New social users are students with a unique username; they get their credit account
    and welcome email as if they had signed up with a password."""

    def populate_user(self, request: HttpRequest, sociallogin: Any, data: dict[str, Any]) -> Any:
        user = super().populate_user(request, sociallogin, data)
        base = (user.username or (user.email or "user").split("@")[0])[:140] or "user"
        username = base
        while User.objects.filter(username__iexact=username).exists():
            username = f"{base}-{get_random_string(6).lower()}"
        user.username = username
        user.email = (user.email or "").lower()
        user.role = User.Role.STUDENT
        return user

    @transaction.atomic
    def save_user(self, request: HttpRequest, sociallogin: Any, form: Any = None) -> Any:
        user = super().save_user(request, sociallogin, form)
        signals.user_created.send(sender=User, user=user)
        from accounts.tasks import send_welcome_email

        transaction.on_commit(lambda: send_welcome_email.delay(user.pk))
        return user
