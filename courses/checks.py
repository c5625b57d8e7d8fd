"""System checks of the courses app: `manage.py check` (and every start) refuses AT_RISK_*
settings that contradict each other, rather than the at-risk endpoints failing later."""

from typing import Any

from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from courses.risk import RiskThresholds


def at_risk_settings_check(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
    try:
        RiskThresholds.from_settings()
    except ImproperlyConfigured as error:
        return [checks.Error(str(error), id="courses.E001")]
    return []
