from typing import Any

from rest_framework.authentication import BaseAuthentication


class NoAuthentication(BaseAuthentication):
    """For public endpoints (login, signup, refresh, webhooks): ignores any Authorization
    header, yet lets DRF answer 401 (not 403) with a `WWW-Authenticate: Bearer` challenge."""

    def authenticate(self, request: Any) -> None:
        return None

    def authenticate_header(self, request: Any) -> str:
        return 'Bearer realm="api"'
