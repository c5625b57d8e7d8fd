from django.urls import URLPattern, URLResolver, include, path
from rest_framework.routers import SimpleRouter

from videos.api import views

router = SimpleRouter(trailing_slash=False)
router.register("videos", views.VideoViewSet, basename="video")

urlpatterns: list[URLPattern | URLResolver] = [
    path(
        "courses/<int:course_id>/videos",
        views.CourseVideoListView.as_view(),
        name="course-videos",
    ),
    path(
        "videos/youtube-playlist",
        views.PlaylistImportCreateView.as_view(),
        name="video-playlist-import",
    ),
    path(
        "videos/imports/<int:pk>",
        views.PlaylistImportDetailView.as_view(),
        name="video-playlist-import-detail",
    ),
    path("search", views.SearchView.as_view(), name="search"),
    path("", include(router.urls)),
]
