from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # allauth 65.21 loads JWT keys through `cryptography.hazmat.primitives.serialization`
        # without importing it; importing it here avoids an AttributeError at runtime.
        import cryptography.hazmat.primitives.serialization  # noqa: F401
        from django.db.models.signals import post_delete, post_save

        import accounts.api.schema  # noqa: F401  (registers the OpenAPI auth extension)
        from accounts.models import User
        from accounts.user_cache import user_changed

        post_save.connect(user_changed, sender=User, dispatch_uid="accounts.user_cache.save")
        post_delete.connect(user_changed, sender=User, dispatch_uid="accounts.user_cache.delete")
