from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path

from config.api.docs import RedocView, SchemaView, SwaggerView
from config.health import ReadyView, health

api_v1: list[URLPattern | URLResolver] = [
    path("", include("accounts.api.urls")),
    path("", include("credits.api.urls")),
    path("", include("courses.api.urls")),
    path("", include("videos.api.urls")),
    path("", include("attendance.api.urls")),
    path("", include("jobs.api.urls")),
    path("", include("mentoring.api.urls")),
    path("schema/", SchemaView.as_view(), name="schema"),
    path(
        "docs/",
        SwaggerView.as_view(url_name="schema"),
        name="swagger-ui",
    ),
    path(
        "redoc/",
        RedocView.as_view(url_name="schema"),
        name="redoc",
    ),
]

urlpatterns = [
    path("health", health, name="health"),
    path("ready", ReadyView.as_view(), name="ready"),
    path("admin/", admin.site.urls),
    path("_allauth/", include("allauth.headless.urls")),
    path("api/v1/", include(api_v1)),
]

handler400 = "config.api.exceptions.handler400"
handler403 = "config.api.exceptions.handler403"
handler404 = "config.api.exceptions.handler404"
handler500 = "config.api.exceptions.handler500"
