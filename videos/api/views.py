from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, mixins, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.selectors import request_user
from config.api.schema import error_response
from config.errors import NotFound, PermissionDenied
from courses import selectors as course_selectors
from videos import selectors, services
from videos.api import serializers as s
from videos.api.permissions import IsMentorOrAdmin
from videos.models import PlaylistImport, Video

NOT_MANAGER = "Only the course's instructor or staff may do this."


def _course_access(request: Request, course_id: int) -> course_selectors.CourseAccess:
    access = course_selectors.course_access(user=request_user(request), course_id=course_id)
    if access is None:
        raise NotFound("Course not found.")
    return access


@extend_schema_view(
    get=extend_schema(
        tags=["videos"],
        summary="Videos of a course, in order",
        description="For students with an active enrollment, the instructor and staff. "
        "Unavailable videos (gone from YouTube or the playlist) are listed with "
        "`is_available: false`.",
        parameters=[s.VideoFilterSerializer],
        responses={
            200: s.VideoSerializer(many=True),
            403: error_response("Not enrolled (`enrollment_required`)."),
        },
    ),
    post=extend_schema(
        tags=["videos"],
        summary="Add a video by hand",
        request=s.VideoCreateSerializer,
        responses={
            201: s.VideoSerializer,
            403: error_response("Only the instructor or staff."),
            409: error_response("Already in the course (`duplicate_video`)."),
        },
    ),
)
class CourseVideoListView(generics.GenericAPIView):
    serializer_class = s.VideoSerializer
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[Video]:
        return selectors.video_list_for_course(course_id=self.kwargs["course_id"])

    def get(self, request: Request, course_id: int) -> Response:
        access = _course_access(request, course_id)
        if not access.can_watch:
            raise PermissionDenied(
                "Enroll in the course to see its videos.", code="enrollment_required"
            )
        query = s.VideoFilterSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        videos = self.get_queryset()
        if query.validated_data["is_available"] is not None:
            videos = videos.filter(is_available=query.validated_data["is_available"])
        page = self.paginate_queryset(videos)
        return self.get_paginated_response(s.VideoSerializer(page, many=True).data)

    def post(self, request: Request, course_id: int) -> Response:
        access = _course_access(request, course_id)
        if not access.is_manager:
            raise PermissionDenied(NOT_MANAGER, code="not_course_manager")
        serializer = s.VideoCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        video = services.video_create(
            course_id=course_id, acting_user=request_user(request), **serializer.validated_data
        )
        return Response(s.VideoSerializer(video).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    retrieve=extend_schema(tags=["videos"]),
    partial_update=extend_schema(
        tags=["videos"],
        request=s.VideoUpdateSerializer,
        responses={200: s.VideoSerializer, 403: error_response("Only the instructor or staff.")},
    ),
    destroy=extend_schema(
        tags=["videos"],
        responses={
            204: None,
            403: error_response("Only the instructor or staff."),
            409: error_response("Protected by watch history (`video_in_use`)."),
        },
    ),
)
class VideoViewSet(
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """A video is visible to whoever may watch its course's videos; others get 404."""

    serializer_class = s.VideoSerializer
    lookup_value_regex = r"\d+"
    http_method_names = ["get", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[Video]:
        return Video.objects.none()

    def get_object(self) -> Video:
        video = selectors.video_get_visible(
            user=request_user(self.request), video_id=int(self.kwargs["pk"])
        )
        if video is None:
            raise NotFound("Video not found.")
        return video

    def _managed_video(self) -> Video:
        video = self.get_object()
        if not course_selectors.course_is_managed_by(
            course=video.course, user=request_user(self.request)
        ):
            raise PermissionDenied(NOT_MANAGER, code="not_course_manager")
        return video

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        video = self._managed_video()
        serializer = s.VideoUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        video = services.video_update(
            video=video, acting_user=request_user(request), data=dict(serializer.validated_data)
        )
        return Response(s.VideoSerializer(video).data)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        video = self._managed_video()
        services.video_delete(video=video, acting_user=request_user(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(
    tags=["videos"],
    summary="Import a YouTube playlist",
    description="Validates the URL and the course at once, then answers 202 with the import "
    "record; the import runs in the background (poll GET /videos/imports/{id}). Without "
    "`course_id` a draft course is made from the playlist (or the course already mirroring "
    "it is updated).",
    request=s.PlaylistImportCreateSerializer,
    responses={
        202: s.PlaylistImportSerializer,
        400: error_response("Not a playlist URL (`invalid_playlist_url`)."),
        403: error_response("Mentors and admins; the course's instructor or staff."),
        404: error_response("Unknown course."),
        409: error_response("The course or the playlist is tied to another one."),
        503: error_response("YouTube import is not configured."),
    },
)
class PlaylistImportCreateView(generics.GenericAPIView):
    permission_classes = [IsMentorOrAdmin]
    serializer_class = s.PlaylistImportCreateSerializer

    def post(self, request: Request) -> Response:
        serializer = s.PlaylistImportCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        record = services.playlist_import_request(
            requested_by=request_user(request),
            playlist_url=serializer.validated_data["playlist_url"],
            course_id=serializer.validated_data.get("course_id"),
        )
        return Response(s.PlaylistImportSerializer(record).data, status=status.HTTP_202_ACCEPTED)


@extend_schema(
    tags=["videos"],
    summary="Status of a playlist import",
    description="Visible to the user who asked for it and to staff.",
    responses={200: s.PlaylistImportSerializer},
)
class PlaylistImportDetailView(generics.GenericAPIView):
    serializer_class = s.PlaylistImportSerializer

    def get_queryset(self) -> QuerySet[PlaylistImport]:
        return PlaylistImport.objects.none()

    def get(self, request: Request, pk: int) -> Response:
        record = selectors.playlist_import_get_visible(user=request_user(request), import_id=pk)
        if record is None:
            raise NotFound("Import not found.")
        return Response(s.PlaylistImportSerializer(record).data)


@extend_schema(
    tags=["search"],
    summary="Search courses and videos",
    description="Courses the caller may see and videos of the courses they may watch, "
    "matched on title, description and course context, best first. PostgreSQL ranks with "
    "full-text search; SQLite with a simple word match.",
    parameters=[s.SearchQuerySerializer],
    responses={200: s.SearchResultSerializer, 400: error_response("Empty or too long `q`.")},
)
class SearchView(generics.GenericAPIView):
    serializer_class = s.SearchResultSerializer
    filter_backends: list[Any] = []

    def get(self, request: Request) -> Response:
        query = s.SearchQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        hits = selectors.search(
            user=request_user(request),
            query=query.validated_data["q"],
            limit=query.validated_data["limit"],
        )
        return Response(s.SearchResultSerializer({"results": hits}).data)
