from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CreditsConfig(AppConfig):
    name = "credits"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accounts.signals import personal_data_export, user_created
        from credits import receivers

        user_created.connect(
            receivers.account_create_for_new_user,
            dispatch_uid="credits.account_create_for_new_user",
        )
        personal_data_export.connect(
            receivers.personal_data_for_export,
            dispatch_uid="credits.personal_data_for_export",
        )
        post_migrate.connect(
            receivers.beat_schedule_ensure_after_migrate,
            sender=self,
            dispatch_uid="credits.beat_schedule_ensure_after_migrate",
        )
