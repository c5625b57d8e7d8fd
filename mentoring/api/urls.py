from django.urls import URLPattern, URLResolver, include, path
from rest_framework.routers import SimpleRouter

from mentoring.api import views

router = SimpleRouter(trailing_slash=False)
router.register(
    "mentors/me/availability", views.AvailabilityWindowViewSet, basename="mentor-availability"
)
router.register(
    "mentors/me/blocked-periods", views.BlockedPeriodViewSet, basename="mentor-blocked-period"
)
router.register("mentors", views.MentorViewSet, basename="mentor")
router.register("sessions", views.SessionViewSet, basename="session")

urlpatterns: list[URLPattern | URLResolver] = [
    path("mentors/me", views.MentorMeView.as_view(), name="mentor-me"),
    path("messages", views.MessageCreateView.as_view(), name="message-create"),
    path("messages/threads", views.ThreadListView.as_view(), name="message-threads"),
    path(
        "messages/threads/<int:user_id>",
        views.ThreadMessagesView.as_view(),
        name="message-thread",
    ),
    path(
        "messages/threads/<int:user_id>/read",
        views.ThreadReadView.as_view(),
        name="message-thread-read",
    ),
    path("stats/platform", views.PlatformStatsView.as_view(), name="stats-platform"),
    path("stats/user", views.UserStatsView.as_view(), name="stats-user"),
    path("stats/dashboard", views.DashboardStatsView.as_view(), name="stats-dashboard"),
    path("", include(router.urls)),
]
