"""Management commands of the accounts app (rotate_encryption_keys: see test_credentials)."""

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from accounts import signals
from accounts.management.commands.seed_demo import DEMO_PASSWORD
from accounts.models import User

pytestmark = pytest.mark.django_db


def test_seed_demo_is_idempotent(capsys):
    created = []
    signals.user_created.connect(
        lambda sender, user, **kw: created.append(user.username), weak=False, dispatch_uid="t-seed"
    )
    try:
        call_command("seed_demo")
        first = capsys.readouterr().out
        call_command("seed_demo")
        second = capsys.readouterr().out
    finally:
        signals.user_created.disconnect(dispatch_uid="t-seed")

    users = list(User.objects.values_list("username", "role", "is_staff", "is_superuser"))
    assert users == [
        ("admin", "admin", True, True),
        ("mentor", "mentor", False, False),
        ("student1", "student", False, False),
        ("student2", "student", False, False),
    ]
    assert created == ["admin", "mentor", "student1", "student2"]
    assert first.count("(created)") == 4
    assert second.count("(exists)") == 4
    assert first.count(DEMO_PASSWORD) == 4


@pytest.mark.parametrize("email", ["admin@lectern.local", "student1@lectern.local"])
def test_seed_demo_users_can_log_in(email):
    call_command("seed_demo")

    response = APIClient().post("/api/v1/auth/login", {"email": email, "password": DEMO_PASSWORD})

    assert response.status_code == 200
