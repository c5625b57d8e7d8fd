from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
)
from rest_framework import generics
from rest_framework.exceptions import ValidationError
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.selectors import request_user
from attendance import selectors, services
from attendance.api import serializers as s
from attendance.api.permissions import IsStaff, IsStaffOrInstructor
from attendance.api.renderers import AttendanceCSVRenderer
from attendance.models import DailyAttendance, VideoProgress
from config.api.schema import error_response
from config.errors import NotFound
from courses import selectors as course_selectors

FORMAT_PARAMETER = OpenApiParameter(
    "format",
    OpenApiTypes.STR,
    enum=["json", "csv"],
    description="`csv`: every row (no pagination) as a CSV download "
    "(`Content-Disposition: attachment`), columns "
    "user_id,email,username,name,date,total_seconds,total_time,status,closed.",
)
CSV_RESPONSE = OpenApiResponse(
    response=OpenApiTypes.STR,
    description="With `?format=csv`: a CSV file with a header line.",
)


def _parse_day(value: str, field: str = "date") -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationError({field: ["Use a date as YYYY-MM-DD."]}) from None


# --- progress -----------------------------------------------------------------------------


@extend_schema(
    tags=["attendance"],
    summary="Record a progress event",
    description="Students enrolled in the video's course report player events, in either "
    "shape: simple (`start_time` for a play; `end_time`, `watchtime_seconds` for a pause) "
    "or rich (`event`, `position_seconds`, `event_id`). The server credits at most the "
    "time it measured between a play and its pause, and at most the video left from the "
    "play's position. Answers the caller's progress record for the video and today "
    "(TIME_ZONE). An `event_id` already seen answers the first answer again and changes "
    "nothing.",
    request=PolymorphicProxySerializer(
        component_name="ProgressEvent",
        serializers=[s.SimpleProgressEventSerializer, s.RichProgressEventSerializer],
        resource_type_field_name=None,
    ),
    responses={
        200: s.ProgressEventResultSerializer,
        400: error_response(
            "Invalid input; `code` `unknown_video`, `video_unavailable`, `absurd` (a position "
            "past the end, a client time far from the server's) or `invalid`."
        ),
        403: error_response("Not enrolled in the video's course (`not_enrolled`)."),
        409: error_response("Pause, heartbeat or end without an open play (`no_open_play`)."),
    },
)
class ProgressEventView(APIView):
    """The hot path: validate, call the service, answer its body as it is."""

    def post(self, request: Request) -> Response:
        serializer = s.ProgressEventSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        body = services.progress_event_record(
            user=request_user(request), **serializer.validated_data
        )
        return Response(body)


@extend_schema(
    tags=["attendance"],
    summary="The caller's progress on a video, per day",
    description="For a video the caller may watch (an active enrollment, the instructor, "
    "staff) or has progress on from before; any other video is a 404.",
    parameters=[OpenApiParameter("video_id", OpenApiTypes.INT, OpenApiParameter.PATH)],
    responses={200: s.ProgressRecordSerializer(many=True), 404: error_response("No such video.")},
)
class VideoProgressListView(generics.ListAPIView):
    serializer_class = s.ProgressRecordSerializer
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[VideoProgress]:
        if getattr(self, "swagger_fake_view", False):
            return VideoProgress.objects.none()
        video_id = self.kwargs["video_id"]
        user = request_user(self.request)
        if not selectors.progress_video_visible(user=user, video_id=video_id):
            raise NotFound("Video not found.")
        return selectors.progress_list_for_video(user_id=user.pk, video_id=video_id)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        records = [selectors.progress_record(row, row.watch) for row in page or []]
        return self.get_paginated_response(s.ProgressRecordSerializer(records, many=True).data)


@extend_schema(
    tags=["attendance"],
    summary="The caller's completion of a course",
    description="Each available video is complete once ATTENDANCE_COMPLETE_SHARE (90%) of "
    "it was watched; the course once all its available videos are.",
    parameters=[OpenApiParameter("course_id", OpenApiTypes.INT, OpenApiParameter.PATH)],
    responses={200: s.CourseProgressSerializer, 404: error_response("No such visible course.")},
)
class CourseProgressView(APIView):
    def get(self, request: Request, course_id: int) -> Response:
        user = request_user(request)
        if course_selectors.course_access(user=user, course_id=course_id) is None:
            raise NotFound("Course not found.")
        data = selectors.course_progress(user_id=user.pk, course_id=course_id)
        return Response(s.CourseProgressSerializer(data).data)


# --- attendance ---------------------------------------------------------------------------


@extend_schema(
    tags=["attendance"],
    summary="The caller's attendance, newest first",
    parameters=[s.DateRangeQuerySerializer],
    responses={200: s.AttendanceSerializer(many=True)},
)
class AttendanceMeView(generics.ListAPIView):
    serializer_class = s.AttendanceSerializer
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[DailyAttendance]:
        if getattr(self, "swagger_fake_view", False):
            return DailyAttendance.objects.none()
        query = s.DateRangeQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return selectors.attendance_list(
            user_id=request_user(self.request).pk,
            date_from=query.validated_data.get("from"),
            date_to=query.validated_data.get("to"),
        )


@extend_schema(
    tags=["attendance"],
    summary="The caller's attendance today",
    description="Today in TIME_ZONE; `not_started` until the day's first play.",
    responses={200: s.AttendanceTodaySerializer},
)
class AttendanceTodayView(APIView):
    def get(self, request: Request) -> Response:
        today = timezone.localdate()
        row = selectors.attendance_get(user_id=request_user(request).pk, day=today)
        total = row.total_seconds if row else 0
        data = {
            "date": today,
            "total_seconds": total,
            "total_time": selectors.hms(total),
            "status": row.status if row else "not_started",
            "closed": row.closed if row else False,
            "min_seconds": settings.ATTENDANCE_MIN_SECONDS,
        }
        return Response(s.AttendanceTodaySerializer(data).data)


class FormatNegotiation(DefaultContentNegotiation):
    """An unknown `?format=` is a 400 (DRF answers 404)."""

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except Http404:
            raise ValidationError({"format": ["Use json or csv."]}) from None


class AttendanceExportView(generics.ListAPIView):
    """A staff list that answers JSON pages, or with `?format=csv` every row as a CSV file.
    Errors are JSON whatever the format."""

    serializer_class = s.AttendanceRowSerializer
    permission_classes = [IsStaffOrInstructor]
    renderer_classes = [JSONRenderer, AttendanceCSVRenderer]
    content_negotiation_class = FormatNegotiation
    filter_backends: list[Any] = []

    def filename(self) -> str:
        raise NotImplementedError

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        rows = self.get_queryset()
        if request.accepted_renderer.format == "csv":
            data = self.get_serializer(rows.iterator(chunk_size=2000), many=True).data
            return Response(
                data,
                content_type="text/csv; charset=utf-8",
                headers={"Content-Disposition": f'attachment; filename="{self.filename()}"'},
            )
        return super().list(request, *args, **kwargs)

    def handle_exception(self, exc: Exception) -> Response:
        response = super().handle_exception(exc)
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return response


@extend_schema(
    tags=["attendance"],
    summary="A user's attendance (staff; instructors for their students)",
    parameters=[
        OpenApiParameter("user_id", OpenApiTypes.INT, OpenApiParameter.PATH),
        s.DateRangeQuerySerializer,
        FORMAT_PARAMETER,
    ],
    responses={
        (200, "application/json"): s.AttendanceRowSerializer(many=True),
        (200, "text/csv"): CSV_RESPONSE,
        403: error_response("Students may not use this list."),
        404: error_response("No such user among those the caller may see."),
    },
)
class AttendanceUserView(AttendanceExportView):
    def filename(self) -> str:
        return f"attendance-user-{self.kwargs['user_id']}.csv"

    def get_queryset(self) -> QuerySet[DailyAttendance]:
        if getattr(self, "swagger_fake_view", False):
            return DailyAttendance.objects.none()
        user_id = self.kwargs["user_id"]
        if not selectors.attendance_user_visible(
            viewer=request_user(self.request), user_id=user_id
        ):
            raise NotFound("User not found.")
        query = s.DateRangeQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return selectors.attendance_list(
            user_id=user_id,
            date_from=query.validated_data.get("from"),
            date_to=query.validated_data.get("to"),
        ).select_related("user")


@extend_schema(
    tags=["attendance"],
    summary="Everyone's attendance on a day (staff; instructors see their students)",
    description="After the day is closed, students enrolled that day without activity "
    "show as absent with zero time.",
    parameters=[
        OpenApiParameter("day", OpenApiTypes.DATE, OpenApiParameter.PATH),
        s.DateListQuerySerializer,
        FORMAT_PARAMETER,
    ],
    responses={
        (200, "application/json"): s.AttendanceRowSerializer(many=True),
        (200, "text/csv"): CSV_RESPONSE,
        400: error_response("Not a date (YYYY-MM-DD)."),
        403: error_response("Students may not use this list."),
        404: error_response("No such course among those the caller manages."),
    },
)
class AttendanceDateView(AttendanceExportView):
    def filename(self) -> str:
        return f"attendance-{self.kwargs['day']}.csv"

    def get_queryset(self) -> QuerySet[DailyAttendance]:
        if getattr(self, "swagger_fake_view", False):
            return DailyAttendance.objects.none()
        day = _parse_day(self.kwargs["day"])
        viewer = request_user(self.request)
        query = s.DateListQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        course_id = query.validated_data.get("course")
        if course_id is not None:
            course = course_selectors.course_get(course_id=course_id)
            if course is None or not course_selectors.course_is_managed_by(
                course=course, user=viewer
            ):
                raise NotFound("Course not found.")
        return selectors.attendance_on_date(viewer=viewer, day=day, course_id=course_id)


@extend_schema(
    tags=["attendance"],
    summary="Close a day of attendance (staff)",
    description="Rows below ATTENDANCE_MIN_SECONDS become absent and every student enrolled "
    "that day without a row gets an absent row. Closing a day again changes nothing. "
    "Audited, with the optional `reason`.",
    request=s.FinalizeSerializer,
    parameters=[s.FinalizeQuerySerializer],
    responses={
        200: s.DayCloseResultSerializer,
        400: error_response("Not a date, or not over yet (`day_not_over`)."),
        403: error_response("Staff only."),
    },
)
class AttendanceFinalizeView(APIView):
    permission_classes = [IsStaff]

    def post(self, request: Request) -> Response:
        query = s.FinalizeQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        body = s.FinalizeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        day = query.validated_data.get("date") or timezone.localdate() - timedelta(days=1)
        result = services.attendance_day_close(
            day=day, acting_user=request_user(request), reason=body.validated_data["reason"]
        )
        return Response(s.DayCloseResultSerializer(result.as_dict()).data)
