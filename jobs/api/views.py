from typing import Any

from django.db.models import QuerySet
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.selectors import request_user
from config.api.schema import error_response
from config.errors import NotFound
from jobs import selectors, services
from jobs.api import serializers as s
from jobs.api.permissions import IsStaff
from jobs.models import Job, Project

STAFF_ACTIONS = frozenset({"moderation_queue", "approve", "reject", "restore", "stats"})
ILLEGAL_TRANSITION = "Not allowed in the project's current status (`illegal_transition`)."
INSUFFICIENT = "Not enough credits (`insufficient_credits`, with `required` and `available`)."


def _permissions(view: Any) -> list[Any]:
    if view.action in STAFF_ACTIONS:
        return [IsAuthenticated(), IsStaff()]
    return [IsAuthenticated()]


# --- projects -----------------------------------------------------------------------------


class ProjectFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=Project.Status.choices)

    class Meta:
        model = Project
        fields = ["status"]


@extend_schema_view(
    list=extend_schema(
        tags=["projects"],
        summary="Your film projects",
        description="Deleted projects are not listed.",
    ),
    retrieve=extend_schema(tags=["projects"], summary="One of your projects"),
    create=extend_schema(
        tags=["projects"],
        summary="Start a project",
        request=s.ProjectWriteSerializer,
        responses={201: s.ProjectSerializer},
    ),
    partial_update=extend_schema(
        tags=["projects"],
        summary="Edit a project",
        description="Only while it is a draft or failed.",
        request=s.ProjectWriteSerializer,
        responses={
            200: s.ProjectSerializer,
            409: error_response("Not editable now (`project_not_editable`)."),
        },
    ),
    destroy=extend_schema(
        tags=["projects"],
        summary="Delete a project",
        description="A soft delete: the project disappears from lists and lookups and staff "
        "can restore it. Refused while its generation is queued or running.",
        responses={204: None, 409: error_response("Generation in progress (`project_busy`).")},
    ),
)
class ProjectViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """A creator's own projects; anyone else's are 404. Staff moderate through the
    moderation queue, approve, reject and restore."""

    serializer_class = s.ProjectSerializer
    filterset_class = ProjectFilter
    search_fields = ["title"]
    ordering_fields = ["id", "title", "status", "created_at", "updated_at"]
    ordering = ["-created_at", "-id"]
    lookup_value_regex = r"\d+"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_permissions(self) -> list[Any]:
        return _permissions(self)

    def get_queryset(self) -> QuerySet[Project]:
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return Project.objects.none()
        return selectors.project_list(user=request_user(self.request))

    def _staff_project(self, *, deleted: bool = False) -> Project:
        project = selectors.project_get_for_staff(
            project_id=int(self.kwargs["pk"]), deleted=deleted
        )
        if project is None:
            raise NotFound("Project not found.")
        return project

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = s.ProjectWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        project = services.project_create(owner=request_user(request), **serializer.validated_data)
        return Response(s.ProjectSerializer(project).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        project = self.get_object()
        serializer = s.ProjectWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        project = services.project_update(
            project=project, acting_user=request_user(request), data=dict(serializer.validated_data)
        )
        return Response(s.ProjectSerializer(project).data)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        services.project_delete(project=self.get_object(), acting_user=request_user(request))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        tags=["projects"],
        summary="Submit a project for moderation",
        description="A draft (or a failed project) goes to the staff's moderation queue.",
        request=None,
        responses={
            200: s.ProjectSerializer,
            400: error_response("No script yet."),
            409: error_response(ILLEGAL_TRANSITION),
        },
    )
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: int) -> Response:
        project = services.project_submit(
            project=self.get_object(), acting_user=request_user(request)
        )
        return Response(s.ProjectSerializer(project).data)

    @extend_schema(
        tags=["moderation"],
        summary="Projects waiting for review (staff)",
        description="Oldest submission first.",
        responses={200: s.ModerationProjectSerializer(many=True)},
    )
    @action(detail=False, methods=["get"], url_path="moderation-queue", filter_backends=[])
    def moderation_queue(self, request: Request) -> Response:
        page = self.paginate_queryset(selectors.moderation_queue())
        return self.get_paginated_response(s.ModerationProjectSerializer(page, many=True).data)

    @extend_schema(
        tags=["moderation"],
        summary="Approve a project (staff)",
        description="The project is queued and its full_generation job created, paid with the "
        "owner's credits, at the owner's tier priority unless `priority` says otherwise. "
        "Audited.",
        request=s.ApproveSerializer,
        responses={
            200: s.ApproveResultSerializer,
            402: error_response(INSUFFICIENT),
            409: error_response(ILLEGAL_TRANSITION),
        },
    )
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: int) -> Response:
        serializer = s.ApproveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        project, job = services.project_approve(
            project=self._staff_project(),
            acting_user=request_user(request),
            reason=serializer.validated_data["reason"],
            priority=serializer.validated_data.get("priority"),
            parameters=serializer.validated_data.get("parameters"),
        )
        return Response(s.ApproveResultSerializer({"project": project, "job": job}).data)

    @extend_schema(
        tags=["moderation"],
        summary="Reject a project (staff)",
        description="Back to the owner as a draft, with the reason. Audited.",
        request=s.RejectSerializer,
        responses={200: s.ProjectSerializer, 409: error_response(ILLEGAL_TRANSITION)},
    )
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: int) -> Response:
        serializer = s.RejectSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        project = services.project_reject(
            project=self._staff_project(),
            acting_user=request_user(request),
            reason=serializer.validated_data["reason"],
        )
        return Response(s.ProjectSerializer(project).data)

    @extend_schema(
        tags=["moderation"],
        summary="Restore a deleted project (staff)",
        description="Audited.",
        request=s.RestoreSerializer,
        responses={200: s.ModerationProjectSerializer},
    )
    @action(detail=True, methods=["post"])
    def restore(self, request: Request, pk: int) -> Response:
        serializer = s.RestoreSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        project = services.project_restore(
            project=self._staff_project(deleted=True),
            acting_user=request_user(request),
            reason=serializer.validated_data["reason"],
        )
        return Response(s.ModerationProjectSerializer(project).data)


# --- jobs ---------------------------------------------------------------------------------


class JobFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=Job.Status.choices)
    job_type = filters.ChoiceFilter(choices=Job.Type.choices)
    project = filters.NumberFilter(field_name="project_id", help_text="Project id.")

    class Meta:
        model = Job
        fields = ["status", "job_type", "project"]


@extend_schema_view(
    list=extend_schema(tags=["jobs"], summary="Your jobs"),
    retrieve=extend_schema(
        tags=["jobs"],
        summary="One of your jobs",
        description="`progress` is live: the worker updates it as it goes.",
    ),
    create=extend_schema(
        tags=["jobs"],
        summary="Queue a job",
        description="Validates the parameters of the type, prices the job "
        "(JOBS_COST_PER_TYPE) and holds its credits, all in one transaction, then publishes "
        "it to the queue of its priority. full_generation jobs are queued by approval of "
        "their project instead.",
        request=s.JobCreateSerializer,
        responses={
            201: s.JobSerializer,
            400: error_response("Unknown type or bad parameters."),
            402: error_response(INSUFFICIENT),
            403: error_response("Priority above your tier's (`priority_above_tier`)."),
            404: error_response("Not your project (`project_not_found`)."),
        },
    ),
)
class JobViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """A user's own jobs; anyone else's are 404."""

    serializer_class = s.JobSerializer
    filterset_class = JobFilter
    search_fields: list[str] = []
    ordering_fields = ["id", "created_at", "priority", "status", "progress"]
    ordering = ["-created_at", "-id"]
    lookup_value_regex = r"\d+"
    http_method_names = ["get", "post", "head", "options"]

    def get_permissions(self) -> list[Any]:
        return _permissions(self)

    def get_queryset(self) -> QuerySet[Job]:
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return Job.objects.none()
        return selectors.job_list(user=request_user(self.request))

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = s.JobCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        job = services.job_create(user=request_user(request), **serializer.validated_data)
        return Response(s.JobSerializer(job).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        tags=["jobs"],
        summary="Cancel a job",
        description="A queued job is cancelled at once (its credits come back). A processing "
        "job is flagged (`cancel_requested`) and stops at its next step, giving its credits "
        "back.",
        request=None,
        responses={
            200: s.JobSerializer,
            409: error_response("Already finished (`job_not_cancellable`)."),
        },
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: int) -> Response:
        job = services.job_cancel(job=self.get_object(), acting_user=request_user(request))
        return Response(s.JobSerializer(job).data)

    @extend_schema(
        tags=["jobs"],
        summary="Retry a failed job",
        description="Resets progress and error and queues it again at the same priority, "
        "holding its credits again.",
        request=None,
        responses={
            200: s.JobSerializer,
            402: error_response(INSUFFICIENT),
            409: error_response(
                "Not failed (`job_not_failed`), retried too often (`retries_exhausted`), or "
                "a full generation whose project was edited and resubmitted "
                "(`project_not_failed`)."
            ),
        },
    )
    @action(detail=True, methods=["post"])
    def retry(self, request: Request, pk: int) -> Response:
        job = services.job_retry(job=self.get_object(), acting_user=request_user(request))
        return Response(s.JobSerializer(job).data)

    @extend_schema(
        tags=["jobs"],
        summary="Queue statistics (staff)",
        description="Jobs created in the last 24 hours by status and by type (count, average "
        "run time), average wait, failure rate; queue depth per priority now.",
        responses={200: s.JobStatsSerializer},
    )
    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def stats(self, request: Request) -> Response:
        return Response(s.JobStatsSerializer(selectors.job_stats()).data)


# --- YouTube ------------------------------------------------------------------------------

NOT_CONFIGURED = "YouTube publishing is not configured (`youtube_not_configured`)."


@extend_schema(
    tags=["youtube"],
    summary="Start connecting a YouTube channel",
    description="Returns Google's authorization URL (with PKCE); send the user there. The "
    "state is bound to you and valid for YOUTUBE_OAUTH_STATE_TTL seconds.",
    responses={200: s.AuthorizationUrlSerializer, 503: error_response(NOT_CONFIGURED)},
)
class YouTubeConnectView(generics.GenericAPIView):
    serializer_class = s.AuthorizationUrlSerializer

    def get(self, request: Request) -> Response:
        url = services.youtube_connect_start(user=request_user(request))
        return Response({"authorization_url": url})


@extend_schema(
    tags=["youtube"],
    summary="Google's redirect after the user's consent",
    description="Exchanges the code for tokens and stores them encrypted. The state alone "
    "identifies the user who started the connection (a browser redirect carries no bearer "
    "token); an authenticated caller must be that user. Each state works once.",
    parameters=[
        OpenApiParameter("state", OpenApiTypes.STR, required=True),
        OpenApiParameter("code", OpenApiTypes.STR),
        OpenApiParameter("error", OpenApiTypes.STR, description="Set by Google on refusal."),
    ],
    responses={
        200: s.ConnectionSerializer,
        400: error_response(
            "Unknown or expired state (`invalid_state`), refused (`oauth_denied`), "
            "or the code was not accepted (`oauth_exchange_failed`)."
        ),
        503: error_response(NOT_CONFIGURED),
    },
)
class YouTubeCallbackView(generics.GenericAPIView):
    serializer_class = s.ConnectionSerializer
    permission_classes = [AllowAny]

    def get(self, request: Request) -> Response:
        query = s.CallbackQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        caller = request_user(request) if request.user.is_authenticated else None
        credential = services.youtube_connect_finish(user=caller, **query.validated_data)
        connection = selectors.youtube_connection(user=credential.user)
        return Response(s.ConnectionSerializer(connection).data)


@extend_schema_view(
    get=extend_schema(
        tags=["youtube"],
        summary="Your YouTube connection",
        responses={200: s.ConnectionSerializer},
    ),
    delete=extend_schema(
        tags=["youtube"],
        summary="Disconnect YouTube",
        description="Revokes the platform's access at Google and forgets the tokens.",
        responses={204: None, 404: error_response("Not connected (`youtube_not_connected`).")},
    ),
)
class YouTubeConnectionView(generics.GenericAPIView):
    serializer_class = s.ConnectionSerializer

    def get(self, request: Request) -> Response:
        connection = selectors.youtube_connection(user=request_user(request))
        return Response(s.ConnectionSerializer(connection).data)

    def delete(self, request: Request) -> Response:
        services.youtube_disconnect(user=request_user(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(
    tags=["youtube"],
    summary="Publish a finished film to YouTube",
    description="Answers 202 with the upload record; a background task uploads the film in "
    "resumable chunks (poll GET /youtube/uploads/{id}). The project must be yours, approved "
    "and finished.",
    request=s.UploadCreateSerializer,
    responses={
        202: s.UploadSerializer,
        404: error_response("Not your project."),
        409: error_response(
            "`project_not_publishable`, `no_finished_video`, `youtube_not_connected` or "
            "`upload_in_progress`."
        ),
        503: error_response(NOT_CONFIGURED),
    },
)
class YouTubeUploadCreateView(generics.GenericAPIView):
    serializer_class = s.UploadCreateSerializer

    def post(self, request: Request) -> Response:
        serializer = s.UploadCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = services.youtube_upload_create(
            user=request_user(request), **serializer.validated_data
        )
        return Response(s.UploadSerializer(upload).data, status=status.HTTP_202_ACCEPTED)


@extend_schema(
    tags=["youtube"],
    summary="Status of an upload",
    description="Status, progress and, once done, the YouTube video id.",
    responses={200: s.UploadSerializer},
)
class YouTubeUploadDetailView(generics.GenericAPIView):
    serializer_class = s.UploadSerializer

    def get(self, request: Request, pk: int) -> Response:
        upload = selectors.upload_get(user=request_user(request), upload_id=pk)
        if upload is None:
            raise NotFound("Upload not found.")
        return Response(s.UploadSerializer(upload).data)


@extend_schema(
    tags=["youtube"],
    summary="Create a playlist on your channel",
    request=s.PlaylistCreateSerializer,
    responses={
        201: s.PlaylistSerializer,
        409: error_response(
            "Not connected (`youtube_not_connected`) or reconnect needed "
            "(`youtube_reconnect_required`)."
        ),
        502: error_response("YouTube refused (`youtube_refused`)."),
        503: error_response("Not configured, or YouTube unreachable."),
    },
)
class YouTubePlaylistCreateView(generics.GenericAPIView):
    serializer_class = s.PlaylistCreateSerializer

    def post(self, request: Request) -> Response:
        serializer = s.PlaylistCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        playlist = services.youtube_playlist_create(
            user=request_user(request), **serializer.validated_data
        )
        return Response(s.PlaylistSerializer(playlist).data, status=status.HTTP_201_CREATED)
