"""Liveness (`/health`) and readiness (`/ready`) endpoints.

Readiness runs django-health-check's checks: database, cache, the Celery broker connection
(not the workers) and SMTP when configured. 200 when all pass, 503 with each check's
outcome otherwise."""

import dataclasses
from typing import Any

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from health_check.base import HealthCheck
from health_check.checks import Cache, Database, Mail
from health_check.exceptions import ServiceUnavailable
from health_check.views import HealthCheckView
from kombu import Connection


def health(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@dataclasses.dataclass
class Broker(HealthCheck):
    """Opens a connection to the Celery broker; says nothing about the workers."""

    def run(self) -> None:
        try:
            with Connection(
                settings.CELERY_BROKER_URL,
                transport_options=getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {}),
                connect_timeout=2,
            ) as connection:
                connection.ensure_connection(max_retries=1, timeout=2)
        except Exception as exc:
            raise ServiceUnavailable(f"broker unreachable: {type(exc).__name__}") from exc


@dataclasses.dataclass
class Redis(HealthCheck):
    """Pings Redis itself: the cache keeps answering from memory while Redis is down, so
    the cache check alone would not notice."""

    def run(self) -> None:
        from django_redis import get_redis_connection

        try:
            get_redis_connection("default").ping()
        except Exception as exc:
            raise ServiceUnavailable(f"redis unreachable: {type(exc).__name__}") from exc


CHECK_NAMES = {
    Database: "database",
    Cache: "cache",
    Redis: "redis",
    Broker: "broker",
    Mail: "email",
}


class ReadyView(HealthCheckView):
    def get_checks(self) -> Any:
        checks: list[HealthCheck] = [Database(), Cache(), Broker()]
        if settings.REDIS_URL:
            checks.insert(2, Redis())
        if settings.SMTP_CONFIGURED:
            checks.append(Mail())
        return checks

    async def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
        await super().get(request, *args, **kwargs)
        checks = {
            CHECK_NAMES.get(type(result.check), type(result.check).__name__.lower()): (
                "ok" if not result.error else str(result.error)
            )
            for result in self.results
        }
        failing = any(result.error for result in self.results)
        return JsonResponse(
            {"status": "unavailable" if failing else "ok", "checks": checks},
            status=503 if failing else 200,
        )
