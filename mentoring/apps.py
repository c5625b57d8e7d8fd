from django.apps import AppConfig
from django.db.models.signals import post_migrate


class MentoringConfig(AppConfig):
    name = "mentoring"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accounts.signals import personal_data_export, user_deleted
        from mentoring import receivers

        user_deleted.connect(
            receivers.sessions_cancel_for_deleted_user,
            dispatch_uid="mentoring.sessions_cancel_for_deleted_user",
        )
        user_deleted.connect(
            receivers.mentor_profile_close_for_deleted_user,
            dispatch_uid="mentoring.mentor_profile_close_for_deleted_user",
        )
        personal_data_export.connect(
            receivers.personal_data_for_export,
            dispatch_uid="mentoring.personal_data_for_export",
        )
        post_migrate.connect(
            receivers.beat_schedule_ensure_after_migrate,
            sender=self,
            dispatch_uid="mentoring.beat_schedule_ensure_after_migrate",
        )
