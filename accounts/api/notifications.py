"""The in-app inbox and notification preferences: `/notifications...`."""

from typing import Any

from django.db.models import QuerySet
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors, services
from accounts.models import Notification
from accounts.selectors import request_user
from config.api.pagination import PageNumberPagination
from config.api.schema import error_response

ID_PARAMETER = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)


# --- serializers ------------------------------------------------------------------------------


class NotificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = ["id", "type", "title", "body", "data", "read_at", "created_at"]
        read_only_fields = fields
        extra_kwargs = {"data": {"help_text": "The facts the text was made from."}}


class NotificationsMarkedSerializer(serializers.Serializer):
    marked = serializers.IntegerField(help_text="How many notifications were marked read.")


class PreferenceSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=Notification.Type.choices)
    email = serializers.BooleanField()
    in_app = serializers.BooleanField()


class PreferencesSerializer(serializers.Serializer):
    preferences = PreferenceSerializer(many=True)


class PreferenceChangeSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=Notification.Type.choices)
    email = serializers.BooleanField(required=False)
    in_app = serializers.BooleanField(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "email" not in attrs and "in_app" not in attrs:
            raise serializers.ValidationError("Give `email`, `in_app` or both.")
        return attrs


class PreferencesUpdateSerializer(serializers.Serializer):
    preferences = PreferenceChangeSerializer(many=True, allow_empty=False)

    def validate_preferences(self, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if len(value) > len(Notification.Type.values):
            raise serializers.ValidationError("At most one change per type.")
        return value


# --- views ------------------------------------------------------------------------------------


@extend_schema_field(OpenApiTypes.BOOL)
class StrictBooleanFilter(filters.TypedChoiceFilter):
    """`true` or `false`; anything else is a 400."""

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("choices", [("true", "true"), ("false", "false")])
        kwargs.setdefault("coerce", lambda value: value == "true")
        super().__init__(*args, **kwargs)


class NotificationFilter(filters.FilterSet):
    unread = StrictBooleanFilter(
        field_name="read_at", lookup_expr="isnull", help_text="Only unread (true) or read (false)."
    )

    class Meta:
        model = Notification
        fields = ["unread", "type"]


class InboxPagination(PageNumberPagination):
    """The page, plus `unread_count`: the caller's unread notifications, whatever the
    filters."""

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        result = super().get_paginated_response_schema(schema)
        result["properties"]["unread_count"] = {"type": "integer", "example": 3}
        result["required"] = [*result["required"], "unread_count"]
        return result


@extend_schema(tags=["notifications"])
class NotificationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The caller's notifications, newest first."""

    serializer_class = NotificationSerializer
    pagination_class = InboxPagination
    filterset_class = NotificationFilter
    search_fields: list[str] = []
    ordering_fields = ["created_at"]
    ordering = ["-created_at", "-id"]
    lookup_value_regex = r"\d+"

    def get_queryset(self) -> QuerySet[Notification]:
        if getattr(self, "swagger_fake_view", False):
            return Notification.objects.none()
        return selectors.notification_list(user=request_user(self.request))

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().list(request, *args, **kwargs)
        response.data["unread_count"] = selectors.notification_unread_count(
            user=request_user(request)
        )
        return response

    @extend_schema(
        request=None,
        parameters=[ID_PARAMETER],
        responses={200: NotificationSerializer, 404: error_response("Not the caller's.")},
    )
    @action(detail=True, methods=["post"])
    def read(self, request: Request, pk: str | None = None) -> Response:
        notification = services.notification_mark_read(
            user=request_user(request), notification_id=int(pk or 0)
        )
        return Response(NotificationSerializer(notification).data)

    @extend_schema(request=None, responses={200: NotificationsMarkedSerializer})
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request: Request) -> Response:
        marked = services.notifications_mark_all_read(user=request_user(request))
        return Response({"marked": marked})


class NotificationPreferencesView(APIView):
    """The caller's channels per notification type (their choice, or the default)."""

    @extend_schema(tags=["notifications"], responses={200: PreferencesSerializer})
    def get(self, request: Request) -> Response:
        preferences = selectors.notification_preferences(user=request_user(request))
        return Response(PreferencesSerializer({"preferences": preferences}).data)

    @extend_schema(
        tags=["notifications"],
        request=PreferencesUpdateSerializer,
        responses={200: PreferencesSerializer, 400: error_response("Invalid input.")},
    )
    def patch(self, request: Request) -> Response:
        serializer = PreferencesUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        preferences = services.notification_preferences_update(
            user=request_user(request), changes=serializer.validated_data["preferences"]
        )
        return Response(PreferencesSerializer({"preferences": preferences}).data)
