from django.apps import AppConfig
from django.db.models.signals import post_migrate


class MentoringConfig(AppConfig):
    name = "mentoring"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accounts.signals import user_deleted
        from mentoring import receivers

        user_deleted.connect(
            receivers.sessions_cancel_for_deleted_user,
            dispatch_uid="mentoring.sessions_cancel_for_deleted_user",
        )
        post_migrate.connect(
            receivers.beat_schedule_ensure_after_migrate,
            sender=self,
            dispatch_uid="mentoring.beat_schedule_ensure_after_migrate",
        )
