from django.apps import AppConfig


class ConfigConfig(AppConfig):
    """Registers `config` as an app so its management commands and templates load."""

    name = "config"
    verbose_name = "Platform"

    def ready(self) -> None:
        import config.api.schema  # noqa: F401  (registers the OpenAPI extensions)
