from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import User
from accounts.services import user_create
from accounts.user_cache import user_cache_forget

DEMO_USERS = [
    ("admin@lectern.local", "admin", "admin", "Ada", "Admin"),
    ("mentor@lectern.local", "mentor", "mentor", "Mina", "Mentor"),
    ("student1@lectern.local", "student1", "student", "Sam", "Student"),
    ("student2@lectern.local", "student2", "student", "Sky", "Student"),
]
DEMO_PASSWORD = "lectern-demo-2026"


class Command(BaseCommand):
    help = "Create the demo users (idempotent) and print their credentials."

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        for email, username, role, first, last in DEMO_USERS:
            user = User.objects.filter(email=email).first()
            if user is None:
                user = user_create(
                    email=email,
                    username=username,
                    password=DEMO_PASSWORD,
                    first_name=first,
                    last_name=last,
                    role=role,
                )
                if role == User.Role.ADMIN:
                    User.objects.filter(pk=user.pk).update(is_superuser=True, is_staff=True)
                    user_cache_forget(user_id=user.pk)
                state = "created"
            else:
                state = "exists"
            self.stdout.write(f"{role:8} {email:26} password: {DEMO_PASSWORD}  ({state})")
