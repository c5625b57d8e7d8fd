from typing import Any

from django.db.models import QuerySet
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors, services
from accounts.api import serializers as s
from accounts.api.permissions import IsStaff
from accounts.models import User
from accounts.selectors import request_user
from accounts.tokens import AUTH_TIME_CLAIM
from config.api.authentication import NoAuthentication
from config.api.schema import error_response
from config.api.throttling import client_ip


@extend_schema(
    tags=["auth"],
    request=s.SignupSerializer,
    responses={201: s.UserSerializer, 400: error_response("Invalid input or duplicate.")},
)
class SignupView(APIView):
    permission_classes = [AllowAny]
    authentication_classes = [NoAuthentication]

    def post(self, request: Request) -> Response:
        serializer = s.SignupSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.user_create(**serializer.validated_data)
        return Response(s.UserSerializer(user).data, status=status.HTTP_201_CREATED)


@extend_schema(
    tags=["auth"],
    request=s.LoginSerializer,
    responses={
        200: s.TokenPairSerializer,
        401: error_response("Invalid credentials."),
        403: error_response("The account is suspended."),
        429: error_response("Too many failed attempts; retry after the cool-down."),
    },
)
class LoginView(APIView):
    permission_classes = [AllowAny]
    authentication_classes = [NoAuthentication]

    def post(self, request: Request) -> Response:
        serializer = s.LoginSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        pair = services.login(
            identifier=serializer.validated_data["identifier"],
            password=serializer.validated_data["password"],
            ip=client_ip(request._request),
        )
        return Response(pair)


@extend_schema(
    tags=["auth"],
    request=s.RefreshSerializer,
    responses={200: s.TokenPairSerializer, 401: error_response("Invalid or reused token.")},
)
class RefreshView(APIView):
    permission_classes = [AllowAny]
    authentication_classes = [NoAuthentication]

    def post(self, request: Request) -> Response:
        serializer = s.RefreshSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(services.tokens_refresh(refresh=serializer.validated_data["refresh"]))


@extend_schema(tags=["auth"], request=s.RefreshSerializer, responses={204: None})
class LogoutView(APIView):
    def post(self, request: Request) -> Response:
        serializer = s.RefreshSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.logout(user=request_user(request), refresh=serializer.validated_data["refresh"])
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    get=extend_schema(tags=["auth"], responses={200: s.UserSerializer}),
    patch=extend_schema(
        tags=["auth"], request=s.MeUpdateSerializer, responses={200: s.UserSerializer}
    ),
    delete=extend_schema(
        tags=["auth"],
        summary="Close the caller's account",
        description=(
            "Confirm with the current password (accounts without one, from social sign-in: "
            "with `confirm_email` and a sign-in within the last ACCOUNT_DELETE_REAUTH_SECONDS, "
            "else 403 `reauthentication_required`). Personal data is anonymised; every token, "
            "sign-in method and stored credential is revoked; queued and running jobs are "
            "cancelled and upcoming sessions called off, their credits released. Ledger and "
            "attendance records stay, anonymous, so totals keep adding up. A wrong password "
            "changes nothing and counts towards the login lockout."
        ),
        request=s.AccountDeleteSerializer,
        responses={
            204: None,
            400: error_response("Missing or wrong password, or wrong `confirm_email`."),
            403: error_response("No password, and no sign-in recent enough."),
            409: error_response("The account is already deleted."),
            429: error_response("Too many failed attempts; retry after the cool-down."),
        },
    ),
)
class MeView(APIView):
    def get(self, request: Request) -> Response:
        return Response(s.UserSerializer(request_user(request)).data)

    def patch(self, request: Request) -> Response:
        serializer = s.MeUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        user = services.user_update(
            user=request_user(request),
            acting_user=request_user(request),
            data=dict(serializer.validated_data),
        )
        return Response(s.UserSerializer(user).data)

    def delete(self, request: Request) -> Response:
        serializer = s.AccountDeleteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        auth_time = getattr(request.auth, "payload", {}).get(AUTH_TIME_CLAIM)
        services.account_delete(
            user=request_user(request),
            password=serializer.validated_data["password"],
            confirm_email=serializer.validated_data["confirm_email"],
            auth_time=auth_time if isinstance(auth_time, int) else None,
            ip=client_ip(request._request),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(
    tags=["auth"],
    summary="Download everything the platform holds about the caller",
    description=(
        "One JSON document: the profile and sign-in methods, notifications, credits "
        "(balances, every transaction, holds), enrollments and quiz answers, attendance and "
        "watch progress, film projects, jobs and YouTube uploads, mentoring (profile, "
        "sessions, messages, reviews). Sent as an attachment. Never contains a token, a "
        "password hash or another secret: stored credentials show their provider and last "
        "four characters."
    ),
    responses={200: s.PersonalDataExportSerializer},
)
class PersonalDataExportView(APIView):
    def get(self, request: Request) -> Response:
        user = request_user(request)
        data = selectors.personal_data_export(user=user)
        filename = f"lectern-data-{user.pk}-{data['exported_at']:%Y%m%d}.json"
        return Response(
            data,
            headers={
                "Content-Disposition": f'attachment; filename="{filename}"',
                "Cache-Control": "no-store",
            },
        )


@extend_schema(
    tags=["auth"], request=s.PasswordChangeSerializer, responses={200: s.TokenPairSerializer}
)
class PasswordChangeView(APIView):
    def post(self, request: Request) -> Response:
        serializer = s.PasswordChangeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        pair = services.password_change(user=request_user(request), **serializer.validated_data)
        return Response(pair)


@extend_schema(
    tags=["auth"],
    request=s.PasswordResetSerializer,
    responses={202: s.MessageSerializer},
)
class PasswordResetView(APIView):
    permission_classes = [AllowAny]
    authentication_classes = [NoAuthentication]

    def post(self, request: Request) -> Response:
        serializer = s.PasswordResetSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.password_reset_request(email=serializer.validated_data["email"])
        return Response(
            {"detail": "If an account uses this address, a reset link is on its way."},
            status=status.HTTP_202_ACCEPTED,
        )


@extend_schema(
    tags=["auth"],
    request=s.PasswordResetConfirmSerializer,
    responses={200: s.MessageSerializer},
)
class PasswordResetConfirmView(APIView):
    permission_classes = [AllowAny]
    authentication_classes = [NoAuthentication]

    def post(self, request: Request) -> Response:
        serializer = s.PasswordResetConfirmSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.password_reset_confirm(**serializer.validated_data)
        return Response({"detail": "Password changed; log in with the new one."})


class UserFilter(filters.FilterSet):
    role = filters.ChoiceFilter(choices=User.Role.choices)
    tier = filters.ChoiceFilter(choices=User.Tier.choices)
    is_active = filters.BooleanFilter()

    class Meta:
        model = User
        fields = ["role", "tier", "is_active"]


@extend_schema_view(
    list=extend_schema(tags=["users"]),
    retrieve=extend_schema(tags=["users"]),
    create=extend_schema(
        tags=["users"], request=s.AdminUserCreateSerializer, responses={201: s.AdminUserSerializer}
    ),
    partial_update=extend_schema(
        tags=["users"], request=s.AdminUserUpdateSerializer, responses={200: s.AdminUserSerializer}
    ),
    destroy=extend_schema(
        tags=["users"],
        request=s.ReasonSerializer,
        responses={
            204: None,
            409: error_response("Already deleted, or staff deleting their own account."),
        },
    ),
)
class UserViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Staff administration of users."""

    permission_classes = [IsStaff]
    serializer_class = s.AdminUserSerializer
    filterset_class = UserFilter
    search_fields = ["email", "username", "first_name", "last_name"]
    ordering_fields = ["id", "email", "username", "date_joined"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[User]:
        return selectors.user_list()

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = s.AdminUserCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        user = services.user_create(
            password=data.pop("password", None), acting_user=request_user(request), **data
        )
        return Response(s.AdminUserSerializer(user).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = s.AdminUserUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        user = services.user_update(
            user=self.get_object(),
            acting_user=request_user(request),
            data=dict(serializer.validated_data),
        )
        return Response(s.AdminUserSerializer(user).data)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = s.ReasonSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.user_delete(
            user=self.get_object(),
            acting_user=request_user(request),
            reason=serializer.validated_data["reason"],
        )
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        tags=["users"],
        request=s.SuspendSerializer,
        responses={200: s.AdminUserSerializer, 409: OpenApiResponse(description="Conflict.")},
    )
    @action(detail=True, methods=["post"])
    def suspend(self, request: Request, pk: str | None = None) -> Response:
        serializer = s.SuspendSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.user_suspend(
            user=self.get_object(),
            acting_user=request_user(request),
            reason=serializer.validated_data["reason"],
        )
        return Response(s.AdminUserSerializer(user).data)

    @extend_schema(
        tags=["users"],
        request=s.ReasonSerializer,
        responses={200: s.AdminUserSerializer, 409: OpenApiResponse(description="Conflict.")},
    )
    @action(detail=True, methods=["post"])
    def reactivate(self, request: Request, pk: str | None = None) -> Response:
        serializer = s.ReasonSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.user_reactivate(
            user=self.get_object(),
            acting_user=request_user(request),
            reason=serializer.validated_data["reason"],
        )
        return Response(s.AdminUserSerializer(user).data)
