from django.urls import URLPattern, URLResolver, include, path
from rest_framework.routers import SimpleRouter

from courses.api import views

router = SimpleRouter(trailing_slash=False)
router.register("courses", views.CourseViewSet, basename="course")

urlpatterns: list[URLPattern | URLResolver] = [
    path("lms/token", views.LMSTokenView.as_view(), name="lms-token"),
    path("", include(router.urls)),
]
