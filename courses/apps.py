from django.apps import AppConfig
from django.core import checks


class CoursesConfig(AppConfig):
    name = "courses"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accounts.signals import personal_data_export, user_deleted
        from courses import receivers
        from courses.checks import at_risk_settings_check

        checks.register(at_risk_settings_check)

        user_deleted.connect(
            receivers.enrollments_drop_for_deleted_user,
            dispatch_uid="courses.enrollments_drop_for_deleted_user",
        )
        personal_data_export.connect(
            receivers.personal_data_for_export,
            dispatch_uid="courses.personal_data_for_export",
        )
