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
    path(
        "courses/<int:course_id>/assessment-videos",
        views.AssessmentVideosView.as_view(),
        name="course-assessment-videos",
    ),
    path(
        "courses/<int:course_id>/question-videos",
        views.CourseQuestionVideosView.as_view(),
        name="course-question-videos",
    ),
    path(
        "courses/<int:course_id>/recommendations/refresh",
        views.CourseRecommendationsRefreshView.as_view(),
        name="course-recommendations-refresh",
    ),
    path(
        "recommendations/refresh",
        views.RecommendationsRefreshView.as_view(),
        name="recommendations-refresh",
    ),
    path(
        "questions/<int:question_id>/videos",
        views.QuestionVideosView.as_view(),
        name="question-videos",
    ),
    path("", include(router.urls)),
]
