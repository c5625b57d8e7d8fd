"""JWT pairs from simplejwt, carrying the user's `token_version` so that bumping it revokes
every token issued before (suspension, password change, deletion)."""

import time
from typing import TypedDict

from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import User

TOKEN_VERSION_CLAIM = "ver"
# When the user last proved who they are (password or social login), as a Unix time; kept
# across refreshes, so a token obtained by refreshing does not count as a fresh sign-in.
AUTH_TIME_CLAIM = "auth_time"


class TokenPair(TypedDict):
    access: str
    refresh: str
    token_type: str


def refresh_token_for(user: User, *, auth_time: int | None = None) -> RefreshToken:
    refresh = RefreshToken.for_user(user)
    refresh[TOKEN_VERSION_CLAIM] = user.token_version
    refresh["role"] = user.role
    refresh[AUTH_TIME_CLAIM] = auth_time if auth_time is not None else int(time.time())
    return refresh


def token_pair_for(user: User, *, auth_time: int | None = None) -> TokenPair:
    """A new pair; `auth_time` carries over the sign-in time of a refreshed pair (default:
    now, a sign-in)."""
    refresh = refresh_token_for(user, auth_time=auth_time)
    return {"access": str(refresh.access_token), "refresh": str(refresh), "token_type": "Bearer"}
