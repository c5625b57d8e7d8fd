from typing import Any

from django.core.management.base import BaseCommand

from accounts.services import credentials_rotate_keys


class Command(BaseCommand):
    help = "Re-encrypt every stored third-party token under the newest FIELD_ENCRYPTION_KEYS key."

    def handle(self, *args: Any, **options: Any) -> None:
        count = credentials_rotate_keys()
        self.stdout.write(self.style.SUCCESS(f"Re-encrypted {count} credential(s)."))
