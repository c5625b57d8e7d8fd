from django.urls import URLPattern, URLResolver, include, path
from rest_framework.routers import SimpleRouter

from jobs.api import views

router = SimpleRouter(trailing_slash=False)
router.register("projects", views.ProjectViewSet, basename="project")
router.register("jobs", views.JobViewSet, basename="job")

urlpatterns: list[URLPattern | URLResolver] = [
    path("youtube/connect", views.YouTubeConnectView.as_view(), name="youtube-connect"),
    path("youtube/callback", views.YouTubeCallbackView.as_view(), name="youtube-callback"),
    path("youtube/connection", views.YouTubeConnectionView.as_view(), name="youtube-connection"),
    path("youtube/uploads", views.YouTubeUploadCreateView.as_view(), name="youtube-uploads"),
    path(
        "youtube/uploads/<int:pk>",
        views.YouTubeUploadDetailView.as_view(),
        name="youtube-upload-detail",
    ),
    path("youtube/playlists", views.YouTubePlaylistCreateView.as_view(), name="youtube-playlists"),
    path("", include(router.urls)),
]
