from django.apps import AppConfig
from django.db.models.signals import post_delete, post_migrate, post_save


class AttendanceConfig(AppConfig):
    name = "attendance"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accounts.signals import personal_data_export
        from attendance import receivers

        personal_data_export.connect(
            receivers.personal_data_for_export,
            dispatch_uid="attendance.personal_data_for_export",
        )

        for signal in (post_save, post_delete):
            name = (signal is post_save and "saved") or "deleted"
            signal.connect(
                receivers.enrollment_changed,
                sender="courses.Enrollment",
                dispatch_uid=f"attendance.enrollment_{name}",
            )
            signal.connect(
                receivers.video_changed,
                sender="videos.Video",
                dispatch_uid=f"attendance.video_{name}",
            )
        post_migrate.connect(
            receivers.beat_schedule_ensure_after_migrate,
            sender=self,
            dispatch_uid="attendance.beat_schedule_ensure_after_migrate",
        )
