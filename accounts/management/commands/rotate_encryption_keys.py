from typing import Any

from django.core.management.base import BaseCommand, CommandError

from accounts.fields import DecryptionError
from accounts.services import credentials_rotate_keys


class Command(BaseCommand):
    help = "Re-encrypt every stored third-party token under the newest FIELD_ENCRYPTION_KEYS key."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            count = credentials_rotate_keys()
        except DecryptionError as exc:
            raise CommandError(f"{exc}. Keep the old key listed until rotation succeeds.") from exc
        self.stdout.write(self.style.SUCCESS(f"Re-encrypted {count} credential(s)."))
