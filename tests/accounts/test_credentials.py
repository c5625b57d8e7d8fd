"""The encrypted credential store: Fernet at rest, key rotation, masked output."""

import json
from datetime import UTC, datetime

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.db import connection

from accounts import services
from accounts.api.serializers import CredentialSerializer
from accounts.fields import DecryptionError
from accounts.models import Credential
from accounts.selectors import credential_get, mask_token
from accounts.services import credential_delete, credential_store, credentials_rotate_keys
from config.errors import ValidationFailed
from tests.accounts.factories import StudentFactory

pytestmark = pytest.mark.django_db

ACCESS = "ya29.access-token-plaintext-9f3k"
REFRESH = "1//refresh-token-plaintext-77ab"
OLD_KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()


def raw_row(credential_id: int) -> tuple[str, str]:
    table = connection.ops.quote_name(Credential._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT access_token, refresh_token FROM {table} WHERE id = %s", [credential_id]
        )
        return cursor.fetchone()


def store(user=None, **kwargs) -> Credential:
    defaults = {
        "provider": Credential.Provider.YOUTUBE,
        "access_token": ACCESS,
        "refresh_token": REFRESH,
        "expires_at": datetime(2030, 1, 1, tzinfo=UTC),
        "scopes": ["youtube.upload"],
        "extra": {"channel": "UC123"},
    }
    return credential_store(user=user or StudentFactory(), **{**defaults, **kwargs})


def test_database_holds_only_ciphertext(settings):
    credential = store()

    access, refresh = raw_row(credential.pk)

    for raw, plaintext in [(access, ACCESS), (refresh, REFRESH)]:
        assert plaintext not in raw
        assert plaintext[-8:] not in raw
        key = Fernet(settings.FIELD_ENCRYPTION_KEYS[0].encode())
        assert key.decrypt(raw.encode()).decode() == plaintext


def test_reading_back_gives_plaintext_and_metadata():
    user = StudentFactory()
    store(user)

    credential = credential_get(user=user, provider="youtube")

    assert (credential.access_token, credential.refresh_token) == (ACCESS, REFRESH)
    assert credential.token_hint == ACCESS[-4:]
    assert (credential.scopes, credential.extra) == (["youtube.upload"], {"channel": "UC123"})
    assert credential.expires_at == datetime(2030, 1, 1, tzinfo=UTC)


def test_storing_again_replaces_the_token():
    user = StudentFactory()
    store(user)

    store(user, access_token="second-access-token-abcd", refresh_token="")

    credential = Credential.objects.get(user=user)
    assert (credential.access_token, credential.refresh_token) == ("second-access-token-abcd", "")
    assert credential.token_hint == "abcd"
    assert raw_row(credential.pk)[1] == ""


def test_empty_access_token_is_refused():
    user = StudentFactory()

    with pytest.raises(ValidationFailed) as caught:
        store(user, access_token="")

    assert caught.value.errors == {"access_token": ["This field is required."]}
    assert not Credential.objects.exists()


def test_delete():
    user = StudentFactory()
    store(user)

    assert credential_delete(user=user, provider="youtube") is True
    assert credential_delete(user=user, provider="youtube") is False
    assert not Credential.objects.exists()


def test_wrong_key_raises_and_never_returns_ciphertext(settings):
    credential = store()
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]

    with pytest.raises(DecryptionError):
        Credential.objects.get(pk=credential.pk)
    with pytest.raises(DecryptionError):
        list(Credential.objects.values_list("access_token", flat=True))


def test_tampered_ciphertext_raises():
    credential = store()
    access, _ = raw_row(credential.pk)
    tampered = access[:-6] + ("A" if access[-6] != "A" else "B") + access[-5:]
    table = connection.ops.quote_name(Credential._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET access_token = %s WHERE id = %s", [tampered, credential.pk]
        )

    with pytest.raises(DecryptionError):
        Credential.objects.get(pk=credential.pk)


def test_no_keys_configured_refuses_to_store(settings):
    settings.FIELD_ENCRYPTION_KEYS = []

    with pytest.raises(ImproperlyConfigured):
        store()


def test_rotation_re_encrypts_so_the_old_key_can_be_dropped(settings, capsys):
    settings.FIELD_ENCRYPTION_KEYS = [OLD_KEY]
    first = store()
    second = store(provider=Credential.Provider.CANVAS, refresh_token="")
    raw_before = raw_row(first.pk)
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]

    call_command("rotate_encryption_keys")

    assert capsys.readouterr().out.strip() == "Re-encrypted 2 credential(s)."
    access, refresh = raw_row(first.pk)
    assert (access, refresh) != raw_before
    assert Fernet(NEW_KEY.encode()).decrypt(access.encode()).decode() == ACCESS
    assert raw_row(second.pk)[1] == ""
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]
    assert Credential.objects.get(pk=first.pk).access_token == ACCESS
    assert Credential.objects.get(pk=first.pk).refresh_token == REFRESH
    assert Credential.objects.get(pk=second.pk).access_token == ACCESS


def test_rotation_with_an_undecryptable_value_changes_nothing(settings):
    settings.FIELD_ENCRYPTION_KEYS = [OLD_KEY]
    good = store()
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    lost = store(provider=Credential.Provider.CANVAS)
    raw_before = {pk: raw_row(pk) for pk in (good.pk, lost.pk)}
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]

    with pytest.raises(CommandError, match=f"credential {lost.pk} cannot be decrypted"):
        call_command("rotate_encryption_keys")

    assert {pk: raw_row(pk) for pk in (good.pk, lost.pk)} == raw_before


def test_rotation_never_overwrites_a_token_stored_meanwhile(settings, monkeypatch):
    settings.FIELD_ENCRYPTION_KEYS = [OLD_KEY]
    user = StudentFactory()
    credential = store(user)
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    real_rotate = services.rotate

    def rotate_while_the_user_reconnects(ciphertext):
        credential_store(user=user, provider="youtube", access_token="fresh-token-after-read")
        return real_rotate(ciphertext)

    monkeypatch.setattr(services, "rotate", rotate_while_the_user_reconnects)

    assert credentials_rotate_keys() == 0

    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]
    assert Credential.objects.get(pk=credential.pk).access_token == "fresh-token-after-read"


def test_rotation_with_nothing_stored():
    assert credentials_rotate_keys() == 0


@pytest.mark.parametrize(
    ("token", "hint", "masked"),
    [
        (ACCESS, ACCESS[-4:], "****" + ACCESS[-4:]),
        ("x" * 500 + "wxyz", "wxyz", "****wxyz"),
        ("short-token", "", "****"),
        ("twelve-chars", "hars", "****hars"),
    ],
)
def test_output_shows_at_most_the_last_four_characters(token, hint, masked):
    credential = store(access_token=token)

    data = CredentialSerializer(credential).data

    assert credential.token_hint == hint
    assert len(credential.token_hint) <= 4
    assert data["access_token"] == masked == mask_token(hint)
    assert data["has_refresh_token"] is True
    serialized = json.dumps(data)
    assert token[:-4] not in serialized
    assert REFRESH not in serialized
    assert set(data) == {
        "provider",
        "access_token",
        "has_refresh_token",
        "expires_at",
        "scopes",
        "extra",
        "updated_at",
    }


def test_django_admin_never_shows_the_token(client):
    admin = StudentFactory(is_staff=True, is_superuser=True)
    credential = store()
    client.force_login(admin)

    pages = [
        client.get("/admin/accounts/credential/"),
        client.get(f"/admin/accounts/credential/{credential.pk}/change/"),
    ]

    for page in pages:
        assert page.status_code == 200
        content = page.content.decode()
        assert ACCESS[:-4] not in content
        assert REFRESH not in content
    assert ACCESS[-4:] in pages[1].content.decode()
