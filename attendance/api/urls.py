from django.urls import URLPattern, URLResolver, path

from attendance.api import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("progress", views.ProgressEventView.as_view(), name="progress-event"),
    path(
        "progress/video/<int:video_id>",
        views.VideoProgressListView.as_view(),
        name="progress-video",
    ),
    path(
        "courses/<int:course_id>/progress",
        views.CourseProgressView.as_view(),
        name="course-progress",
    ),
    path("attendance/me", views.AttendanceMeView.as_view(), name="attendance-me"),
    path("attendance/today", views.AttendanceTodayView.as_view(), name="attendance-today"),
    path(
        "attendance/user/<int:user_id>",
        views.AttendanceUserView.as_view(),
        name="attendance-user",
    ),
    path("attendance/date/<str:day>", views.AttendanceDateView.as_view(), name="attendance-date"),
    path("attendance/finalize", views.AttendanceFinalizeView.as_view(), name="attendance-finalize"),
]
