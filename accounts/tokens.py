"""JWT pairs from simplejwt, carrying the user's `token_version` so that bumping it revokes
every token issued before (suspension, password change, deletion)."""

from typing import TypedDict

from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import User

TOKEN_VERSION_CLAIM = "ver"


class TokenPair(TypedDict):
    access: str
    refresh: str
    token_type: str


def refresh_token_for(user: User) -> RefreshToken:
    refresh = RefreshToken.for_user(user)
    refresh[TOKEN_VERSION_CLAIM] = user.token_version
    refresh["role"] = user.role
    return refresh


def token_pair_for(user: User) -> TokenPair:
    refresh = refresh_token_for(user)
    return {"access": str(refresh.access_token), "refresh": str(refresh), "token_type": "Bearer"}
