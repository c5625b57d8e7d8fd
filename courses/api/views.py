from typing import Any

from django.db.models import QuerySet
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import generics, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.selectors import mask_token, request_user
from config.api.schema import error_response
from config.errors import NotFound, PermissionDenied
from courses import assessments, risk, selectors, services
from courses.api import serializers as s
from courses.api.permissions import IsMentorOrAdmin
from courses.lms import credentials, sync
from courses.models import Course

REGISTRATION_REFUSALS = (
    "Registration refused; `code` says which rule: course_archived, course_not_published, "
    "course_ended, enrollment_closed, invitation_required, course_full."
)

RISK_DESCRIPTION = (
    "Each active student's risk level (low, medium, high) over the last AT_RISK_WINDOW_DAYS "
    "days (today included), with its reasons: `wrong_answers` (share of quiz questions "
    "answered wrong, once AT_RISK_MIN_ANSWERS were answered), `absences` (days closed as "
    "absent), `low_watch_time` (watch time on the course's videos below the pro-rated "
    "minimum; medium) and `no_activity` (nothing recorded in the window: medium). A "
    "figure equal to a threshold reaches its level; the level is the highest reason's."
)


@extend_schema_field(OpenApiTypes.BOOL)
class StrictBooleanFilter(filters.TypedChoiceFilter):
    """`true` or `false`; anything else is a 400 (django-filter's BooleanFilter ignores
    values it does not understand)."""

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("choices", [("true", "true"), ("false", "false")])
        kwargs.setdefault("coerce", lambda value: value == "true")
        super().__init__(*args, **kwargs)


class CourseFilter(filters.FilterSet):
    instructor = filters.NumberFilter(
        field_name="instructor_id",
        help_text="Instructor's user id.",
        min_value=1,
        max_value=2**63 - 1,
        decimal_places=0,
    )
    enrolled = StrictBooleanFilter(
        field_name="enrolled",
        help_text="Only courses the caller is (true) or is not (false) enrolled in.",
    )
    status = filters.ChoiceFilter(choices=Course.Status.choices)

    class Meta:
        model = Course
        fields = ["instructor", "enrolled", "status"]


@extend_schema_view(
    list=extend_schema(
        tags=["courses"],
        summary="Courses the caller may see",
        description="Students see published courses and the ones they are enrolled in; "
        "instructors also see their own; staff see all.",
    ),
    retrieve=extend_schema(tags=["courses"], responses={200: s.CourseSerializer}),
    create=extend_schema(
        tags=["courses"],
        request=s.CourseCreateSerializer,
        responses={
            201: s.CourseSerializer,
            400: error_response("Invalid input."),
            409: error_response("Duplicate code (`duplicate_code`)."),
        },
    ),
    partial_update=extend_schema(
        tags=["courses"],
        request=s.CourseUpdateSerializer,
        responses={
            200: s.CourseSerializer,
            403: error_response("Only the instructor or staff."),
            409: error_response("Duplicate code (`duplicate_code`)."),
        },
    ),
    destroy=extend_schema(
        tags=["courses"],
        description="Deletes a course nobody enrolled in (204). A course with enrollments "
        "is archived instead and returned (200).",
        responses={
            200: OpenApiResponse(s.CourseSerializer, description="Archived, not deleted."),
            204: OpenApiResponse(description="Deleted."),
            403: error_response("Only the instructor or staff."),
        },
    ),
)
class CourseViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = s.CourseSerializer
    filterset_class = CourseFilter
    search_fields = ["code", "title", "description"]
    ordering_fields = [
        "id",
        "code",
        "title",
        "created_at",
        "start_date",
        "video_count",
        "total_duration_seconds",
    ]
    ordering = ["id"]
    lookup_value_regex = r"\d+"
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]

    def get_permissions(self) -> list[Any]:
        if self.action == "create":
            return [IsAuthenticated(), IsMentorOrAdmin()]
        return [IsAuthenticated()]

    def get_queryset(self) -> QuerySet[Course]:
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return Course.objects.none()
        return selectors.course_list(user=request_user(self.request))

    def _managed_course(self) -> Course:
        course = self.get_object()
        if not selectors.course_is_managed_by(course=course, user=request_user(self.request)):
            raise PermissionDenied(
                "Only the course's instructor or staff may do this.", code="not_course_manager"
            )
        return course

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """ListModelMixin's list, rendered by `course_data` (the serializer's shape)."""
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response([s.course_data(course) for course in page or []])

    def _output(self, course_id: int, status_code: int = status.HTTP_200_OK) -> Response:
        course = selectors.course_get_visible(user=request_user(self.request), course_id=course_id)
        return Response(s.CourseSerializer(course).data, status=status_code)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = s.CourseCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        course = services.course_create(
            acting_user=request_user(request), **serializer.validated_data
        )
        return self._output(course.pk, status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        course = self._managed_course()
        serializer = s.CourseUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        services.course_update(
            course=course, acting_user=request_user(request), data=dict(serializer.validated_data)
        )
        return self._output(course.pk)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        course = self._managed_course()
        archived = services.course_delete(course=course, acting_user=request_user(request))
        if archived is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return self._output(archived.pk)

    @extend_schema(
        methods=["POST"],
        tags=["enrollment"],
        summary="Register in the course",
        request=None,
        responses={
            201: s.EnrollmentSerializer,
            400: error_response(REGISTRATION_REFUSALS),
            409: error_response("Already enrolled (`already_enrolled`) or completed."),
        },
    )
    @extend_schema(
        methods=["DELETE"],
        tags=["enrollment"],
        summary="Drop the enrollment",
        request=None,
        responses={204: None, 404: error_response("Not enrolled (`not_enrolled`).")},
    )
    @action(detail=True, methods=["post", "delete"], url_path="register")
    def register(self, request: Request, pk: str | None = None) -> Response:
        course = self.get_object()
        user = request_user(request)
        if request.method == "DELETE":
            services.enrollment_drop(user=user, course_id=course.pk)
            return Response(status=status.HTTP_204_NO_CONTENT)
        enrollment = services.enrollment_create(user=user, course_id=course.pk)
        return Response(s.EnrollmentSerializer(enrollment).data, status=status.HTTP_201_CREATED)

    @extend_schema(tags=["enrollment"], responses={200: s.RegistrationSerializer})
    @action(detail=True, methods=["get"])
    def registration(self, request: Request, pk: str | None = None) -> Response:
        course = self.get_object()
        enrollment = selectors.enrollment_get(user_id=request_user(request).pk, course_id=course.pk)
        active = enrollment is not None and enrollment.status == enrollment.Status.ACTIVE
        data = {
            "enrolled": active,
            "enrolled_at": enrollment.enrolled_at if enrollment is not None and active else None,
            "status": enrollment.status if enrollment is not None else None,
        }
        return Response(s.RegistrationSerializer(data).data)

    @extend_schema(
        tags=["enrollment"],
        summary="Enrollments of the course",
        parameters=[s.StudentFilterSerializer],
        responses={
            200: s.StudentSerializer(many=True),
            403: error_response("Only the instructor or staff."),
        },
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def students(self, request: Request, pk: str | None = None) -> Response:
        course = self._managed_course()
        query = s.StudentFilterSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        enrollments = selectors.course_students(course_id=course.pk)
        if "status" in query.validated_data:
            enrollments = enrollments.filter(status=query.validated_data["status"])
        page = self.paginate_queryset(enrollments)
        return self.get_paginated_response(s.StudentSerializer(page, many=True).data)

    @extend_schema(
        tags=["courses"],
        summary="Replace the course context",
        description="Upsert of the instructor's free text about the course; a change is "
        "announced with the `course_context_changed` signal after commit.",
        request=s.ContextSerializer,
        responses={
            200: s.ContextOutputSerializer,
            403: error_response("Only the instructor or staff."),
        },
    )
    @action(detail=True, methods=["put"])
    def context(self, request: Request, pk: str | None = None) -> Response:
        course = self._managed_course()
        serializer = s.ContextSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        course = services.course_context_update(
            course=course,
            acting_user=request_user(request),
            context=serializer.validated_data["context"],
        )
        return Response(s.ContextOutputSerializer(course).data)

    @extend_schema(
        tags=["enrollment"],
        summary="Invite an email address",
        description="Lets whoever logs in with this email register in an invite-only course. "
        "201 for a new invitation, 200 when it already existed.",
        request=s.InvitationCreateSerializer,
        responses={
            200: s.InvitationSerializer,
            201: s.InvitationSerializer,
            403: error_response("Only the instructor or staff."),
        },
    )
    @action(detail=True, methods=["post"])
    def invitations(self, request: Request, pk: str | None = None) -> Response:
        course = self._managed_course()
        serializer = s.InvitationCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        invitation, created = services.invitation_create(
            course=course,
            acting_user=request_user(request),
            email=serializer.validated_data["email"],
        )
        return Response(
            s.InvitationSerializer(invitation).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    @extend_schema(
        methods=["POST"],
        tags=["lms"],
        summary="Sync quiz results from the LMS",
        description="Queues a sync of the course's published, unlocked quizzes, their "
        "questions and the students' answers from Canvas, with the instructor's stored "
        "token; answers 202 with the sync record (poll GET on the same path).",
        request=None,
        responses={
            202: s.LMSSyncSerializer,
            403: error_response("Only the instructor or staff."),
            409: error_response(
                "Not ready (`lms_not_linked`, `lms_token_missing`, `lms_course_not_in_token`) "
                "or already queued (`lms_sync_in_progress`)."
            ),
        },
    )
    @extend_schema(
        methods=["GET"],
        tags=["lms"],
        summary="The course's latest LMS sync",
        responses={
            200: s.LMSSyncSerializer,
            403: error_response("Only the instructor or staff."),
            404: error_response("Never synced (`lms_never_synced`)."),
        },
    )
    @action(detail=True, methods=["get", "post"], url_path="lms-sync", filter_backends=[])
    def lms_sync(self, request: Request, pk: str | None = None) -> Response:
        course = self._managed_course()
        if request.method == "GET":
            return Response(s.LMSSyncSerializer(sync.lms_sync_get_latest(course_id=course.pk)).data)
        record = sync.lms_sync_request(course=course, requested_by=request_user(request))
        return Response(s.LMSSyncSerializer(record).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        tags=["lms"],
        summary="Upload quiz results",
        description="Quizzes, their questions and each student's answers as one JSON "
        "document, for courses without an LMS. Validated strictly (unknown keys, repeated "
        "ids, students who are not in the course, scores above the points are 400s) and "
        "stored all or nothing; uploading the same ids again updates them.",
        request=s.AssessmentUploadSerializer,
        responses={
            201: s.AssessmentUploadResultSerializer,
            403: error_response("Only the instructor or staff."),
        },
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def assessments(self, request: Request, pk: str | None = None) -> Response:
        course = self._managed_course()
        serializer = s.AssessmentUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = assessments.assessment_upload(
            course=course, acting_user=request_user(request), document=serializer.validated_data
        )
        return Response(
            s.AssessmentUploadResultSerializer(result).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        tags=["at-risk"],
        summary="Students at risk in the course",
        description=RISK_DESCRIPTION
        + " Highest level first, then the most reasons, then by user id. Instructor and "
        "staff only: anyone else who can see the course gets 403.",
        parameters=[s.RiskFilterSerializer],
        responses={
            200: s.StudentRiskSerializer(many=True),
            400: error_response("Unknown `level`, or a bad page size."),
            403: error_response("Not the course's instructor or staff."),
            404: error_response("No such course, or one the caller cannot see."),
        },
    )
    @action(detail=True, methods=["get"], url_path="at-risk", filter_backends=[])
    def at_risk(self, request: Request, pk: str | None = None) -> Response:
        access = self._course_access(pk)
        if not access.is_manager:
            raise PermissionDenied(
                "Only the course's instructor or staff may do this.", code="not_course_manager"
            )
        query = s.RiskFilterSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        students = risk.course_risks(
            course_id=access.course.pk, thresholds=risk.RiskThresholds.from_settings()
        )
        levels = query.validated_data.get("level")
        if levels:
            students = [student for student in students if student.level in levels]
        page = self.paginate_queryset(students)
        return self.get_paginated_response(s.StudentRiskSerializer(page, many=True).data)

    @extend_schema(
        tags=["at-risk"],
        summary="The caller's own risk level in the course",
        description=RISK_DESCRIPTION + " For the course's active students only.",
        responses={
            200: s.StudentRiskSerializer,
            404: error_response("No such course, or the caller is not one of its students."),
        },
    )
    @action(detail=True, methods=["get"], url_path="my-risk", filter_backends=[])
    def my_risk(self, request: Request, pk: str | None = None) -> Response:
        access = self._course_access(pk)
        students = risk.course_risks(
            course_id=access.course.pk,
            thresholds=risk.RiskThresholds.from_settings(),
            user_id=request_user(request).pk,
        )
        if not students:
            raise NotFound("You are not a student of this course.", code="not_enrolled")
        return Response(s.StudentRiskSerializer(students[0]).data)

    def _course_access(self, pk: str | None) -> selectors.CourseAccess:
        access = selectors.course_access(user=request_user(self.request), course_id=int(pk or 0))
        if access is None:
            raise NotFound("Course not found.")
        return access


def _token_output(credential: Any) -> dict[str, Any]:
    return {
        "provider": credential.provider,
        "token": mask_token(credential.token_hint),
        "course_ids": list(credential.extra.get("course_ids", [])),
        "link": credential.extra.get("link", ""),
        "updated_at": credential.updated_at,
    }


@extend_schema_view(
    get=extend_schema(
        tags=["lms"],
        summary="The caller's LMS token (masked)",
        responses={200: s.LMSTokenSerializer, 404: error_response("No token stored.")},
    ),
    put=extend_schema(
        tags=["lms"],
        summary="Store or replace the caller's LMS token",
        description="Kept encrypted. `link` must be an https URL whose host resolves to "
        "public addresses only (400 `unsafe_link` otherwise).",
        request=s.LMSTokenInputSerializer,
        responses={200: s.LMSTokenSerializer, 400: error_response("Missing or invalid field.")},
    ),
    delete=extend_schema(
        tags=["lms"],
        summary="Remove the caller's LMS token",
        responses={204: None, 404: error_response("No token stored.")},
    ),
)
class LMSTokenView(generics.GenericAPIView):
    """Mentors and admins keep the Canvas token their courses are synced with."""

    permission_classes = [IsAuthenticated, IsMentorOrAdmin]
    serializer_class = s.LMSTokenSerializer
    filter_backends: list[Any] = []

    def get(self, request: Request) -> Response:
        credential = credentials.lms_token_get(user=request_user(request))
        if credential is None:
            raise NotFound("No LMS token stored.", code="lms_token_missing")
        return Response(s.LMSTokenSerializer(_token_output(credential)).data)

    def put(self, request: Request) -> Response:
        serializer = s.LMSTokenInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        credential = credentials.lms_token_store(
            user=request_user(request), **serializer.validated_data
        )
        return Response(s.LMSTokenSerializer(_token_output(credential)).data)

    def delete(self, request: Request) -> Response:
        if not credentials.lms_token_delete(user=request_user(request)):
            raise NotFound("No LMS token stored.", code="lms_token_missing")
        return Response(status=status.HTTP_204_NO_CONTENT)
