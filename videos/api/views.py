from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, mixins, status, viewsets
from rest_framework.permissions import IsAdminUser, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.selectors import request_user
from config.api.schema import error_response
from config.errors import NotFound, PermissionDenied
from courses import selectors as course_selectors
from videos import selectors, services
from videos.api import serializers as s
from videos.api.permissions import IsMentorOrAdmin
from videos.models import PlaylistImport, QuestionVideo, Video
from videos.recommendations import selectors as rec_selectors
from videos.recommendations import services as recommendations

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
        return self.get_paginated_response([s.video_data(video) for video in page or []])

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


# --- recommendations ----------------------------------------------------------------------------


def _managed_course_access(request: Request, course_id: int) -> course_selectors.CourseAccess:
    access = _course_access(request, course_id)
    if not access.is_manager:
        raise PermissionDenied(NOT_MANAGER, code="not_course_manager")
    return access


class NoQuerysetMixin:
    """Views whose reads go through selectors; a queryset exists only for schema tools."""

    def get_queryset(self) -> QuerySet[QuestionVideo]:
        return QuestionVideo.objects.none()


@extend_schema(
    tags=["recommendations"],
    summary="Videos for the questions a student got wrong",
    description="A student sees their own wrong questions (an active enrollment is "
    "needed), each with its quiz, text, topic and up to three videos; a video shown for an "
    "earlier question is not repeated. The instructor and staff pass `student_id`. "
    "Nothing wrong: an empty list.",
    parameters=[s.AssessmentVideosQuerySerializer],
    responses={
        200: s.AssessmentVideosSerializer(many=True),
        403: error_response(
            "Not enrolled (`enrollment_required`), or `student_id` of someone else "
            "(`not_course_manager`)."
        ),
        404: error_response("Unknown course, or a student who is not in it."),
    },
)
class AssessmentVideosView(NoQuerysetMixin, generics.GenericAPIView):
    serializer_class = s.AssessmentVideosSerializer
    filter_backends: list[Any] = []

    def get(self, request: Request, course_id: int) -> Response:
        access = _course_access(request, course_id)
        user = request_user(request)
        query = s.AssessmentVideosQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        student_id = query.validated_data.get("student_id", user.pk)
        if student_id != user.pk:
            if not access.is_manager:
                raise PermissionDenied(NOT_MANAGER, code="not_course_manager")
            if course_selectors.enrollment_get(user_id=student_id, course_id=course_id) is None:
                raise NotFound("No such student in this course.", code="student_not_found")
        elif not access.can_watch:
            raise PermissionDenied(
                "Enroll in the course to see its videos.", code="enrollment_required"
            )
        items = rec_selectors.assessment_items(course_id=course_id, user_id=student_id)
        page = self.paginate_queryset(items)  # type: ignore[arg-type]
        return self.get_paginated_response(s.AssessmentVideosSerializer(page, many=True).data)


@extend_schema(
    tags=["recommendations"],
    summary="Every question of a course with its topic and videos",
    parameters=[s.QuestionVideosQuerySerializer],
    responses={
        200: s.QuestionVideosSerializer(many=True),
        403: error_response("Only the instructor or staff."),
    },
)
class CourseQuestionVideosView(NoQuerysetMixin, generics.GenericAPIView):
    serializer_class = s.QuestionVideosSerializer
    filter_backends: list[Any] = []

    def get(self, request: Request, course_id: int) -> Response:
        _managed_course_access(request, course_id)
        query = s.QuestionVideosQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        questions = course_selectors.questions_for_course(
            course_id=course_id, quiz_id=query.validated_data.get("quiz_id")
        )
        page = self.paginate_queryset(questions)  # type: ignore[arg-type]
        items = rec_selectors.question_items(questions=list(page or []))
        return self.get_paginated_response(s.QuestionVideosSerializer(items, many=True).data)


@extend_schema(
    tags=["recommendations"],
    summary="Refresh the course's recommendations",
    description="Queues the refresh of every question of the course without videos or "
    "whose inputs changed (question text, course context, course videos); `force` "
    "recomputes all. Pinned videos stay.",
    request=s.CourseRefreshSerializer,
    responses={
        202: s.RefreshQueuedSerializer,
        403: error_response("Only the instructor or staff."),
    },
)
class CourseRecommendationsRefreshView(NoQuerysetMixin, generics.GenericAPIView):
    serializer_class = s.RefreshQueuedSerializer
    filter_backends: list[Any] = []

    def post(self, request: Request, course_id: int) -> Response:
        _managed_course_access(request, course_id)
        serializer = s.CourseRefreshSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        force = serializer.validated_data["force"]
        count = recommendations.recommendations_refresh_course(course_id=course_id, force=force)
        data = {"course_id": course_id, "questions": count, "force": force}
        return Response(s.RefreshQueuedSerializer(data).data, status=status.HTTP_202_ACCEPTED)


@extend_schema(
    tags=["recommendations"],
    summary="Recompute recommendations matching a filter (staff)",
    description="Every filter given narrows the set (course, quiz, question ids; "
    "`stale_before`: only questions never refreshed or refreshed before it). The matching "
    "questions are recomputed in the background; pinned videos stay.",
    request=s.RefreshFilterSerializer,
    responses={202: s.RefreshQueuedSerializer, 403: error_response("Staff only.")},
)
class RecommendationsRefreshView(NoQuerysetMixin, generics.GenericAPIView):
    permission_classes = [IsAuthenticated, IsAdminUser]
    serializer_class = s.RefreshQueuedSerializer
    filter_backends: list[Any] = []

    def post(self, request: Request) -> Response:
        serializer = s.RefreshFilterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        count = recommendations.recommendations_refresh_filter(
            acting_user=request_user(request), **serializer.validated_data
        )
        data = {
            "course_id": serializer.validated_data.get("course_id"),
            "questions": count,
            "force": True,
        }
        return Response(s.RefreshQueuedSerializer(data).data, status=status.HTTP_202_ACCEPTED)


@extend_schema_view(
    get=extend_schema(
        tags=["recommendations"],
        summary="A question with its topic and videos",
        responses={
            200: s.QuestionVideosSerializer,
            403: error_response("Only the instructor or staff."),
        },
    ),
    put=extend_schema(
        tags=["recommendations"],
        summary="Pin, replace or unpin a question's video",
        description="Puts the named video at `rank`, pinned: refreshes never replace or move "
        "it. Without a video, (un)pins the one already at `rank`.",
        request=s.QuestionVideoPinSerializer,
        responses={
            200: s.QuestionVideosSerializer,
            400: error_response("Invalid rank or video."),
            403: error_response("Only the instructor or staff."),
            404: error_response("Unknown question, or no video at `rank` (`no_video_at_rank`)."),
        },
    ),
    delete=extend_schema(
        tags=["recommendations"],
        summary="Remove a question's video",
        description="Removes the video at `rank`; it is never recommended for this question "
        "again, and the next refresh fills the place.",
        parameters=[s.QuestionVideoRemoveSerializer],
        responses={
            200: s.QuestionVideosSerializer,
            403: error_response("Only the instructor or staff."),
            404: error_response("Unknown question, or no video at `rank`."),
        },
    ),
)
class QuestionVideosView(NoQuerysetMixin, generics.GenericAPIView):
    serializer_class = s.QuestionVideosSerializer
    filter_backends: list[Any] = []

    def _question(self, request: Request, question_id: int) -> Any:
        question = course_selectors.question_get(question_id=question_id)
        if question is None:
            raise NotFound("Question not found.")
        _managed_course_access(request, question.quiz.course_id)
        return question

    def _output(self, question: Any) -> Response:
        item = rec_selectors.question_items(questions=[question])[0]
        return Response(s.QuestionVideosSerializer(item).data)

    def get(self, request: Request, question_id: int) -> Response:
        return self._output(self._question(request, question_id))

    def put(self, request: Request, question_id: int) -> Response:
        question = self._question(request, question_id)
        serializer = s.QuestionVideoPinSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        recommendations.question_video_pin(
            question=question, acting_user=request_user(request), **serializer.validated_data
        )
        return self._output(question)

    def delete(self, request: Request, question_id: int) -> Response:
        question = self._question(request, question_id)
        query = s.QuestionVideoRemoveSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        recommendations.question_video_remove(
            question=question, acting_user=request_user(request), rank=query.validated_data["rank"]
        )
        return self._output(question)
