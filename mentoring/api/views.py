from typing import Any

from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import generics, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.selectors import request_user
from config.api.authentication import NoAuthentication
from config.api.filters import SearchFilter
from config.api.schema import error_response
from config.errors import NotFound
from mentoring import selectors, services
from mentoring.api import serializers as s
from mentoring.api.permissions import IsMentor, IsStudent
from mentoring.models import (
    AvailabilityWindow,
    BlockedPeriod,
    MentorProfile,
    Message,
    Review,
    Session,
)

USER_ID_PARAMETER = OpenApiParameter("user_id", OpenApiTypes.INT, OpenApiParameter.PATH)
ILLEGAL_TRANSITION = "The session's status does not allow this (`illegal_transition`)."


@extend_schema_field(OpenApiTypes.BOOL)
class StrictBooleanFilter(filters.TypedChoiceFilter):
    """`true` or `false`; anything else is a 400."""

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("choices", [("true", "true"), ("false", "false")])
        kwargs.setdefault("coerce", lambda value: value == "true")
        super().__init__(*args, **kwargs)


class NullsLastOrderingFilter(OrderingFilter):
    """DRF's ordering with empty values last in both directions, on every database, and
    the primary key as the tie-breaker (stable pages)."""

    def filter_queryset(self, request: Request, queryset: QuerySet, view: Any) -> QuerySet:
        ordering = self.get_ordering(request, queryset, view)
        if not ordering:
            return queryset
        expressions = [
            F(name[1:]).desc(nulls_last=True)
            if name.startswith("-")
            else F(name).asc(nulls_last=True)
            for name in ordering
        ]
        return queryset.order_by(*expressions, "pk")


# --- mentors -----------------------------------------------------------------------------------


class MentorFilter(filters.FilterSet):
    expertise = filters.CharFilter(method="filter_expertise", help_text="One expertise tag.")
    available = StrictBooleanFilter(
        field_name="is_available", help_text="Only mentors accepting bookings (true) or not."
    )

    class Meta:
        model = MentorProfile
        fields = ["expertise", "available"]

    def filter_expertise(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(expertise__name=" ".join(value.split()).lower())


@extend_schema_view(
    list=extend_schema(
        tags=["mentors"],
        summary="Mentors",
        description="Search by name, headline, specialization and bio; filter by expertise "
        "and availability; order by `rating`, `hourly_rate_credits`, `experience_years` or "
        "`total_sessions` (prefix `-` for descending; mentors without a rating come last).",
    ),
    retrieve=extend_schema(tags=["mentors"], responses={200: s.MentorDetailSerializer}),
)
class MentorViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = s.MentorSerializer
    queryset = MentorProfile.objects.none()
    lookup_field = "user_id"
    lookup_url_kwarg = "id"
    lookup_value_regex = r"\d+"
    filter_backends = [filters.DjangoFilterBackend, SearchFilter, NullsLastOrderingFilter]
    filterset_class = MentorFilter
    search_fields = [
        "user__first_name",
        "user__last_name",
        "user__username",
        "headline",
        "specialization",
        "bio",
    ]
    ordering_fields = ["rating", "hourly_rate_credits", "experience_years", "total_sessions"]
    ordering = ["-rating"]

    def get_queryset(self) -> QuerySet[MentorProfile]:
        return selectors.mentor_list()

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        profile = self.get_object()
        profile.next_free_slots = selectors.mentor_free_slots(profile=profile)  # type: ignore[attr-defined]
        return Response(s.MentorDetailSerializer(profile).data)

    @extend_schema(tags=["mentors"], responses={200: s.ReviewSerializer(many=True)})
    @action(detail=True, methods=["get"], filter_backends=[])
    def reviews(self, request: Request, id: str | None = None) -> Response:
        if not selectors.mentor_is_listed(mentor_id=int(id or 0)):
            raise NotFound("No such mentor.", code="mentor_not_found")
        page = self.paginate_queryset(selectors.review_list(mentor_id=int(id or 0)))
        return self.get_paginated_response(s.ReviewSerializer(page, many=True).data)


class MentorMeView(APIView):
    """The caller's mentor profile (mentors only), created on first visit."""

    serializer_class = s.MentorSerializer
    permission_classes = [IsAuthenticated, IsMentor]

    def _body(self, request: Request) -> dict[str, Any]:
        profile = selectors.mentor_profile_get(user=request_user(request))
        return s.MentorSerializer(profile).data

    @extend_schema(
        tags=["mentors"],
        responses={200: s.MentorSerializer, 403: error_response("Not a mentor.")},
    )
    def get(self, request: Request) -> Response:
        services.mentor_profile_get_or_create(user=request_user(request))
        return Response(self._body(request))

    def _update(self, request: Request, *, partial: bool) -> Response:
        serializer = s.MentorProfileWriteSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        services.mentor_profile_update(
            user=request_user(request), data=dict(serializer.validated_data)
        )
        return Response(self._body(request))

    @extend_schema(
        tags=["mentors"],
        request=s.MentorProfileWriteSerializer,
        responses={
            200: s.MentorSerializer,
            400: error_response("Invalid input."),
            403: error_response("Not a mentor."),
        },
    )
    def put(self, request: Request) -> Response:
        return self._update(request, partial=False)

    @extend_schema(
        tags=["mentors"],
        request=s.MentorProfileWriteSerializer,
        responses={
            200: s.MentorSerializer,
            400: error_response("Invalid input."),
            403: error_response("Not a mentor."),
        },
    )
    def patch(self, request: Request) -> Response:
        return self._update(request, partial=True)


@extend_schema_view(
    list=extend_schema(tags=["mentors"], summary="The caller's weekly availability"),
    retrieve=extend_schema(tags=["mentors"]),
    create=extend_schema(
        tags=["mentors"],
        responses={
            201: s.AvailabilityWindowSerializer,
            400: error_response("Invalid input (end before start)."),
            409: error_response("Overlaps another window (`availability_overlap`)."),
        },
    ),
    update=extend_schema(
        tags=["mentors"],
        responses={
            200: s.AvailabilityWindowSerializer,
            409: error_response("Overlaps another window (`availability_overlap`)."),
        },
    ),
    partial_update=extend_schema(
        tags=["mentors"],
        responses={
            200: s.AvailabilityWindowSerializer,
            409: error_response("Overlaps another window (`availability_overlap`)."),
        },
    ),
    destroy=extend_schema(tags=["mentors"]),
)
class AvailabilityWindowViewSet(viewsets.ModelViewSet):
    """Weekly windows in the mentor's time zone. Mentors only."""

    serializer_class = s.AvailabilityWindowSerializer
    queryset = AvailabilityWindow.objects.none()
    permission_classes = [IsAuthenticated, IsMentor]
    pagination_class = None
    filter_backends: list[Any] = []
    lookup_value_regex = r"\d+"

    def get_queryset(self) -> QuerySet[AvailabilityWindow]:
        if getattr(self, "swagger_fake_view", False):
            return AvailabilityWindow.objects.none()
        return selectors.availability_window_list(user=request_user(self.request))

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        window = services.availability_window_create(
            user=request_user(request), **serializer.validated_data
        )
        return Response(self.get_serializer(window).data, status=status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        window = self.get_object()
        serializer = self.get_serializer(
            window, data=request.data, partial=kwargs.get("partial", False)
        )
        serializer.is_valid(raise_exception=True)
        window = services.availability_window_update(
            user=request_user(request), window_id=window.pk, data=dict(serializer.validated_data)
        )
        return Response(self.get_serializer(window).data)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        window = self.get_object()
        services.availability_window_delete(user=request_user(request), window_id=window.pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    list=extend_schema(tags=["mentors"], summary="The caller's blocked periods"),
    create=extend_schema(
        tags=["mentors"],
        responses={201: s.BlockedPeriodSerializer, 400: error_response("Invalid input.")},
    ),
    destroy=extend_schema(tags=["mentors"]),
)
class BlockedPeriodViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """One-off periods when the mentor cannot be booked. Mentors only."""

    serializer_class = s.BlockedPeriodSerializer
    queryset = BlockedPeriod.objects.none()
    permission_classes = [IsAuthenticated, IsMentor]
    filter_backends: list[Any] = []
    lookup_value_regex = r"\d+"

    def get_queryset(self) -> QuerySet[BlockedPeriod]:
        if getattr(self, "swagger_fake_view", False):
            return BlockedPeriod.objects.none()
        return selectors.blocked_period_list(user=request_user(self.request))

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        period = services.blocked_period_create(
            user=request_user(request), **serializer.validated_data
        )
        return Response(self.get_serializer(period).data, status=status.HTTP_201_CREATED)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        period = self.get_object()
        services.blocked_period_delete(user=request_user(request), period_id=period.pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- sessions ----------------------------------------------------------------------------------


class SessionFilter(filters.FilterSet):
    role = filters.ChoiceFilter(
        choices=[("student", "student"), ("mentor", "mentor")],
        method="filter_role",
        help_text="Only the sessions where the caller is the student, or the mentor.",
    )
    status = filters.ChoiceFilter(choices=Session.Status.choices)
    upcoming = StrictBooleanFilter(
        method="filter_upcoming",
        help_text="Requested or confirmed sessions still ahead (true, soonest first), or the "
        "others (false).",
    )
    needs_review = StrictBooleanFilter(
        method="filter_needs_review",
        help_text="The caller's completed sessions as student that have no review yet.",
    )

    class Meta:
        model = Session
        fields = ["role", "status", "upcoming", "needs_review"]

    def _user_id(self) -> int:
        return request_user(self.request).pk

    def filter_role(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        field = "student_id" if value == "student" else "mentor_id"
        return queryset.filter(**{field: self._user_id()})

    def filter_upcoming(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        upcoming = Q(
            scheduled_at__gt=timezone.now(),
            status__in=[Session.Status.REQUESTED, Session.Status.CONFIRMED],
        )
        return queryset.filter(upcoming if value else ~upcoming)

    def filter_needs_review(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        needs_review = Q(
            student_id=self._user_id(), status=Session.Status.COMPLETED, review__isnull=True
        )
        return queryset.filter(needs_review if value else ~needs_review)


def _session_action_schema(
    description: str, request: Any = None, conflict: str = ILLEGAL_TRANSITION
) -> Any:
    return extend_schema(
        tags=["sessions"],
        description=description,
        request=request,
        responses={
            200: s.SessionSerializer,
            403: error_response("The caller is on the wrong side for this."),
            409: error_response(conflict),
        },
    )


@extend_schema_view(
    list=extend_schema(
        tags=["sessions"],
        summary="The caller's sessions, as student or mentor",
    ),
    retrieve=extend_schema(
        tags=["sessions"], description="Participants and staff; anyone else gets a 404."
    ),
    create=extend_schema(
        tags=["sessions"],
        request=s.SessionCreateSerializer,
        responses={
            201: s.SessionSerializer,
            400: error_response("Invalid input or unknown mentor."),
            402: error_response("Not enough credits for the price (`insufficient_credits`)."),
            403: error_response("Only students book."),
            409: error_response(
                "The slot cannot be booked; `code` says why: slot_in_past, "
                "mentor_unavailable, outside_availability, slot_blocked, mentor_busy, "
                "student_busy."
            ),
        },
    ),
)
class SessionViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = s.SessionSerializer
    queryset = Session.objects.none()
    filter_backends = [filters.DjangoFilterBackend, OrderingFilter]
    filterset_class = SessionFilter
    ordering_fields = ["scheduled_at", "created_at"]
    lookup_value_regex = r"\d+"

    def get_permissions(self) -> list[Any]:
        if self.action == "create":
            return [IsAuthenticated(), IsStudent()]
        return [IsAuthenticated()]

    @property
    def ordering(self) -> list[str]:
        """Soonest first for `?upcoming=true`, latest first otherwise."""
        request = getattr(self, "request", None)
        if request is not None and request.query_params.get("upcoming") == "true":
            return ["scheduled_at", "id"]
        return ["-scheduled_at", "-id"]

    def get_queryset(self) -> QuerySet[Session]:
        if getattr(self, "swagger_fake_view", False):
            return Session.objects.none()
        user = request_user(self.request)
        if self.action == "list":
            return selectors.session_list(user=user)
        return selectors.session_visible_queryset(user=user)

    def _session_for(self, action: str) -> Session:
        """The session in the URL, if the caller may take `action` on it: 404 when they may
        not see it, 403 when they are on the wrong side; both before the body is read."""
        session = self.get_object()
        services.session_actor_check(
            session=session, user=request_user(self.request), action=action
        )
        return session

    def _respond(self, session: Session, status_code: int = status.HTTP_200_OK) -> Response:
        fresh = selectors.session_visible_queryset(user=request_user(self.request)).get(
            pk=session.pk
        )
        return Response(s.SessionSerializer(fresh).data, status=status_code)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = s.SessionCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        session = services.session_request(
            student=request_user(request), **serializer.validated_data
        )
        return self._respond(session, status.HTTP_201_CREATED)

    @_session_action_schema(
        "The mentor accepts a requested session and gives the meeting link; the student is told.",
        request=s.ConfirmSerializer,
        conflict=ILLEGAL_TRANSITION + " Or its time has passed (`session_in_past`).",
    )
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, pk: str | None = None) -> Response:
        session = self._session_for("confirm")
        serializer = s.ConfirmSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        session = services.session_confirm(
            session_id=session.pk, acting_user=request_user(request), **serializer.validated_data
        )
        return self._respond(session)

    @_session_action_schema(
        "The mentor turns a request down; the held credits are released.",
        request=s.DeclineSerializer,
    )
    @action(detail=True, methods=["post"])
    def decline(self, request: Request, pk: str | None = None) -> Response:
        session = self._session_for("decline")
        serializer = s.DeclineSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        session = services.session_decline(
            session_id=session.pk, acting_user=request_user(request), **serializer.validated_data
        )
        return self._respond(session)

    @_session_action_schema(
        "Either side (or staff) calls off a requested or confirmed session. The held "
        "credits are released, except that a student cancelling a confirmed session within "
        "the late-cancel window pays the mentor the late-cancel share.",
        request=s.CancelSerializer,
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        session = self._session_for("cancel")
        serializer = s.CancelSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        session = services.session_cancel(
            session_id=session.pk, acting_user=request_user(request), **serializer.validated_data
        )
        return self._respond(session)

    @_session_action_schema(
        "Either side moves a requested or confirmed session under the booking rules; its "
        "reminders start over. Moved by the student, a confirmed session needs the "
        "mentor's confirmation again.",
        request=s.RescheduleSerializer,
        conflict=ILLEGAL_TRANSITION + " Or the new slot cannot be booked (as on creation).",
    )
    @action(detail=True, methods=["post"])
    def reschedule(self, request: Request, pk: str | None = None) -> Response:
        session = self._session_for("reschedule")
        serializer = s.RescheduleSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        session = services.session_reschedule(
            session_id=session.pk, acting_user=request_user(request), **serializer.validated_data
        )
        return self._respond(session)

    @_session_action_schema(
        "The mentor opens a confirmed session (from a few minutes before its time).",
        conflict=ILLEGAL_TRANSITION + " Or it is too early (`too_early`).",
    )
    @action(detail=True, methods=["post"])
    def start(self, request: Request, pk: str | None = None) -> Response:
        session = self._session_for("start")
        session = services.session_start(session_id=session.pk, acting_user=request_user(request))
        return self._respond(session)

    @_session_action_schema(
        "The mentor closes the session after its start; the price goes to the mentor.",
        conflict=ILLEGAL_TRANSITION + " Or it has not started (`session_not_started`).",
    )
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk: str | None = None) -> Response:
        session = self._session_for("complete")
        session = services.session_complete(
            session_id=session.pk, acting_user=request_user(request)
        )
        return self._respond(session)

    @_session_action_schema(
        "The mentor reports that the student did not come, after the start; the no-show "
        "policy decides whether the price goes to the mentor.",
        conflict=ILLEGAL_TRANSITION + " Or it has not started (`session_not_started`).",
    )
    @action(detail=True, methods=["post"], url_path="no-show")
    def no_show(self, request: Request, pk: str | None = None) -> Response:
        session = self._session_for("no_show")
        session = services.session_mark_no_show(
            session_id=session.pk, acting_user=request_user(request)
        )
        return self._respond(session)

    @extend_schema(
        tags=["sessions"],
        description="The student reviews a completed session, once; the mentor's rating follows.",
        request=s.ReviewCreateSerializer,
        responses={
            201: s.ReviewSerializer,
            403: error_response("Only the session's student."),
            409: error_response(
                "Not completed (`session_not_completed`) or already reviewed (`already_reviewed`)."
            ),
        },
    )
    @action(detail=True, methods=["post"])
    def review(self, request: Request, pk: str | None = None) -> Response:
        session = self._session_for("review")
        serializer = s.ReviewCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        review = services.review_create(
            session_id=session.pk, acting_user=request_user(request), **serializer.validated_data
        )
        review = Review.objects.select_related("student").get(pk=review.pk)
        return Response(s.ReviewSerializer(review).data, status=status.HTTP_201_CREATED)


# --- messages ----------------------------------------------------------------------------------


class MessageCreateView(APIView):
    serializer_class = s.DirectMessageSerializer

    @extend_schema(
        tags=["messages"],
        request=s.DirectMessageCreateSerializer,
        responses={
            201: s.DirectMessageSerializer,
            400: error_response("Blank or too long, unknown recipient, or oneself."),
            409: error_response("The recipient is suspended (`recipient_suspended`)."),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = s.DirectMessageCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        message = services.message_send(sender=request_user(request), **serializer.validated_data)
        return Response(s.DirectMessageSerializer(message).data, status=status.HTTP_201_CREATED)


@extend_schema(
    tags=["messages"],
    summary="The caller's conversations",
    description="One row per counterpart, most recent conversation first, with the last "
    "message and the number of messages to the caller not read yet.",
)
class ThreadListView(generics.ListAPIView):
    serializer_class = s.ThreadSerializer
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[Any]:
        if getattr(self, "swagger_fake_view", False):
            return Message.objects.none()
        return selectors.thread_list(user=request_user(self.request))

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user = request_user(request)
        page = self.paginate_queryset(self.get_queryset()) or []
        messages = selectors.thread_last_messages(
            message_ids=[row["last_message_id"] for row in page]
        )
        rows = []
        for row in page:
            message = messages[row["last_message_id"]]
            rows.append(
                {
                    "counterpart": (
                        message.recipient if message.sender_id == user.pk else message.sender
                    ),
                    "last_message": message,
                    "unread_count": row["unread_count"],
                }
            )
        return self.get_paginated_response(s.ThreadSerializer(rows, many=True).data)


def _counterpart_id(user_id: Any) -> int:
    counterpart = selectors.counterpart_get(user_id=int(user_id))
    if counterpart is None:
        raise NotFound("No such user.", code="user_not_found")
    return counterpart.pk


class ThreadMessagesView(generics.ListAPIView):
    serializer_class = s.DirectMessageSerializer
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[Any]:
        if getattr(self, "swagger_fake_view", False):
            return Message.objects.none()
        return selectors.thread_messages(
            user=request_user(self.request), counterpart_id=_counterpart_id(self.kwargs["user_id"])
        )

    @extend_schema(
        tags=["messages"],
        summary="The messages between the caller and one user, newest first",
        operation_id="messages_thread_messages_list",
        parameters=[USER_ID_PARAMETER],
        responses={200: s.DirectMessageSerializer(many=True), 404: error_response("No such user.")},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class ThreadReadView(APIView):
    serializer_class = s.MessagesMarkedSerializer

    @extend_schema(
        tags=["messages"],
        summary="Mark every message from this user to the caller read",
        request=None,
        parameters=[USER_ID_PARAMETER],
        responses={200: s.MessagesMarkedSerializer, 404: error_response("No such user.")},
    )
    def post(self, request: Request, user_id: int) -> Response:
        marked = services.thread_mark_read(
            user=request_user(request), counterpart_id=_counterpart_id(user_id)
        )
        return Response({"marked": marked})


# --- stats -------------------------------------------------------------------------------------


class PlatformStatsView(APIView):
    """Public platform figures, cached for five minutes."""

    permission_classes = [AllowAny]
    authentication_classes = [NoAuthentication]
    serializer_class = s.PlatformStatsSerializer

    @extend_schema(tags=["stats"], responses={200: s.PlatformStatsSerializer})
    def get(self, request: Request) -> Response:
        return Response(s.PlatformStatsSerializer(selectors.platform_stats()).data)


class UserStatsView(APIView):
    """The caller's figures (`mentor_stats` for mentors)."""

    serializer_class = s.UserStatsSerializer

    @extend_schema(tags=["stats"], responses={200: s.UserStatsSerializer})
    def get(self, request: Request) -> Response:
        return Response(
            s.UserStatsSerializer(selectors.user_stats(user=request_user(request))).data
        )


class DashboardStatsView(APIView):
    """The caller's dashboard: courses, sessions, reviews and credits, in a fixed number of
    queries."""

    serializer_class = s.DashboardStatsSerializer

    @extend_schema(
        tags=["stats"],
        summary="The caller's dashboard figures",
        description="Courses (active enrollments and their progress), sessions and reviews "
        "(as mentor for mentors, as student for everyone else; see `sessions_as`) and "
        "available credits. Always fresh (not cached).",
        responses={200: s.DashboardStatsSerializer},
    )
    def get(self, request: Request) -> Response:
        return Response(
            s.DashboardStatsSerializer(selectors.dashboard_stats(user=request_user(request))).data
        )
