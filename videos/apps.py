from django.apps import AppConfig


class VideosConfig(AppConfig):
    name = "videos"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accounts.signals import personal_data_export
        from courses import signals as course_signals
        from videos import receivers

        course_signals.course_context_changed.connect(
            receivers.refresh_course_recommendations,
            dispatch_uid="videos.refresh_recommendations_on_context_change",
        )
        course_signals.assessments_changed.connect(
            receivers.refresh_course_recommendations,
            dispatch_uid="videos.refresh_recommendations_on_assessments_change",
        )
        personal_data_export.connect(
            receivers.personal_data_for_export, dispatch_uid="videos.personal_data_for_export"
        )
