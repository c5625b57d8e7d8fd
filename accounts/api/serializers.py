from typing import Any

from rest_framework import serializers

from accounts.models import Credential, User
from accounts.selectors import mask_token


def name_field() -> serializers.CharField:
    return serializers.CharField(max_length=150, required=False, allow_blank=True)


class UserSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = [
            "id",
            "email",
            "username",
            "first_name",
            "last_name",
            "role",
            "tier",
            "is_active",
            "suspended_at",
            "date_joined",
        ]
        read_only_fields = fields


class AdminUserSerializer(UserSerializer):
    class Meta(UserSerializer.Meta):
        fields = [*UserSerializer.Meta.fields, "suspension_reason", "lms_user_id", "last_login"]
        read_only_fields = fields


class SignupSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    username = serializers.RegexField(r"^[\w.@+-]+\Z", max_length=150)
    password = serializers.CharField(max_length=128, write_only=True, trim_whitespace=False)
    first_name = name_field()
    last_name = name_field()
    role = serializers.ChoiceField(
        choices=[User.Role.STUDENT, User.Role.MENTOR], default=User.Role.STUDENT
    )

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict) and data.get("role") == User.Role.ADMIN:
            raise serializers.ValidationError({"role": ["Admin accounts cannot be requested."]})
        return super().to_internal_value(data)


class AdminUserCreateSerializer(SignupSerializer):
    role = serializers.ChoiceField(choices=User.Role.choices, default=User.Role.STUDENT)
    tier = serializers.ChoiceField(choices=User.Tier.choices, default=User.Tier.FREE)
    password = serializers.CharField(
        max_length=128, write_only=True, trim_whitespace=False, required=False
    )

    def to_internal_value(self, data: Any) -> Any:
        return serializers.Serializer.to_internal_value(self, data)


class AdminUserUpdateSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254, required=False)
    username = serializers.RegexField(r"^[\w.@+-]+\Z", max_length=150, required=False)
    first_name = name_field()
    last_name = name_field()
    role = serializers.ChoiceField(choices=User.Role.choices, required=False)
    tier = serializers.ChoiceField(choices=User.Tier.choices, required=False)
    lms_user_id = serializers.CharField(max_length=64, required=False, allow_blank=True)


class MeUpdateSerializer(serializers.Serializer):
    username = serializers.RegexField(r"^[\w.@+-]+\Z", max_length=150, required=False)
    first_name = name_field()
    last_name = name_field()
    lms_user_id = serializers.CharField(max_length=64, required=False, allow_blank=True)


class LoginSerializer(serializers.Serializer):
    login = serializers.CharField(max_length=254, required=False, help_text="Email or username.")
    email = serializers.CharField(max_length=254, required=False)
    username = serializers.CharField(max_length=150, required=False)
    password = serializers.CharField(max_length=128, trim_whitespace=False, write_only=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        identifier = attrs.get("login") or attrs.get("email") or attrs.get("username")
        if not identifier:
            raise serializers.ValidationError(
                {"login": ["Send `email` or `username` (or `login`) with the password."]}
            )
        attrs["identifier"] = identifier
        return attrs


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()
    token_type = serializers.CharField()


class RefreshSerializer(serializers.Serializer):
    refresh = serializers.CharField(max_length=2048)


class PasswordChangeSerializer(serializers.Serializer):
    old_password = serializers.CharField(max_length=128, trim_whitespace=False)
    new_password = serializers.CharField(max_length=128, trim_whitespace=False)


class PasswordResetSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)


class PasswordResetConfirmSerializer(serializers.Serializer):
    uid = serializers.CharField(max_length=64)
    token = serializers.CharField(max_length=128)
    new_password = serializers.CharField(max_length=128, trim_whitespace=False)


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class SuspendSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


class CredentialSerializer(serializers.ModelSerializer):
    """A stored credential as the API shows it: masked, never the token."""

    access_token = serializers.SerializerMethodField()
    has_refresh_token = serializers.SerializerMethodField()

    class Meta:
        model = Credential
        fields = [
            "provider",
            "access_token",
            "has_refresh_token",
            "expires_at",
            "scopes",
            "extra",
            "updated_at",
        ]
        read_only_fields = fields

    def get_access_token(self, obj: Credential) -> str:
        return mask_token(obj.token_hint)

    def get_has_refresh_token(self, obj: Credential) -> bool:
        return bool(obj.refresh_token)


class MessageSerializer(serializers.Serializer):
    detail = serializers.CharField()
