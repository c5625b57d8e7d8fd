from django.apps import AppConfig
from django.core import checks


class CoursesConfig(AppConfig):
    name = "courses"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from courses.checks import at_risk_settings_check

        checks.register(at_risk_settings_check)
