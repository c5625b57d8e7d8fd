from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "jobs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accounts.signals import personal_data_export, user_deleted
        from jobs import receivers

        user_deleted.connect(
            receivers.work_cancel_for_deleted_user,
            dispatch_uid="jobs.work_cancel_for_deleted_user",
        )
        personal_data_export.connect(
            receivers.personal_data_for_export,
            dispatch_uid="jobs.personal_data_for_export",
        )
