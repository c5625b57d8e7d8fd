"""The API end of the browser (redirect) social login: allauth's redirect flow leaves a
Django session; the single-page app trades it here for the platform's JWT pair."""

from typing import Any

from django.contrib.auth import logout as session_logout
from drf_spectacular.authentication import SessionScheme
from drf_spectacular.utils import extend_schema
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import serializers as s
from accounts.selectors import request_user
from accounts.tokens import token_pair_for
from config.api.schema import error_response


class BrowserSessionAuthentication(SessionAuthentication):
    """The Django session with Django's CSRF check; active users only. Without a session DRF
    answers 401 (not 403), challenging for the bearer token the rest of the API expects."""

    def authenticate_header(self, request: Any) -> str:
        return 'Bearer realm="api"'


class BrowserSessionScheme(SessionScheme):
    target_class = "accounts.api.social.BrowserSessionAuthentication"


@extend_schema(
    tags=["auth"],
    request=None,
    responses={
        200: s.TokenPairSerializer,
        401: error_response("No logged-in browser session."),
        403: error_response("CSRF check failed."),
    },
)
class SocialTokenView(APIView):
    """Trade the session left by the social redirect login for the JWT pair. The session
    ends here, so the cookie cannot be traded twice and bearer tokens are the only
    credential from then on. Needs the session cookie and the `X-CSRFToken` header."""

    permission_classes = [IsAuthenticated]
    authentication_classes = [BrowserSessionAuthentication]

    def post(self, request: Request) -> Response:
        pair = token_pair_for(request_user(request))
        session_logout(request._request)
        return Response(pair)
