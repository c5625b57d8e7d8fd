"""A URLconf for testing the API plumbing with views that fail on purpose."""

from django.db import OperationalError
from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from config.errors import Conflict, PaymentRequired


@api_view(["GET"])
@permission_classes([AllowAny])
def drf_crash(request: Request) -> Response:
    raise RuntimeError("boom")


@api_view(["GET"])
@permission_classes([AllowAny])
def domain_conflict(request: Request) -> Response:
    raise Conflict("Already done.", code="already_done")


@api_view(["GET"])
@permission_classes([AllowAny])
def domain_payment(request: Request) -> Response:
    raise PaymentRequired(
        "Not enough credits.", code="insufficient_credits", required=5, available=2
    )


def django_crash(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("boom")


def database_down(request: HttpRequest) -> HttpResponse:
    raise OperationalError("server closed the connection unexpectedly")


urlpatterns = [
    path("api/v1/test/drf-crash", drf_crash),
    path("api/v1/test/conflict", domain_conflict),
    path("api/v1/test/payment", domain_payment),
    path("api/v1/test/django-crash", django_crash),
    path("api/v1/test/database-down", database_down),
    path("_allauth/test/crash", django_crash),
    path("_allauth/test/database-down", database_down),
    path("", include("config.urls")),
]

handler404 = "config.api.exceptions.handler404"
handler500 = "config.api.exceptions.handler500"
