from django.apps import AppConfig
from django.db.models.signals import post_migrate


class MentoringConfig(AppConfig):
    name = "mentoring"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from mentoring import receivers

        post_migrate.connect(
            receivers.beat_schedule_ensure_after_migrate,
            sender=self,
            dispatch_uid="mentoring.beat_schedule_ensure_after_migrate",
        )
