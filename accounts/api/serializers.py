from typing import Any

from rest_framework import serializers

from accounts.models import Credential, Notification, OutgoingEmail, User
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


class AccountDeleteSerializer(serializers.Serializer):
    password = serializers.CharField(
        max_length=128,
        trim_whitespace=False,
        required=False,
        default="",
        help_text="The current password, to confirm (accounts with a password).",
    )
    confirm_email = serializers.CharField(
        max_length=254,
        required=False,
        default="",
        help_text="Accounts without a password (social sign-in only): the account's email, "
        "with an access token from a sign-in within ACCOUNT_DELETE_REAUTH_SECONDS.",
    )


# --- the personal data export (documentation of its shape; the view returns the selector's
# dict as is) -------------------------------------------------------------------------------


class ExportProfileSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    username = serializers.CharField()
    first_name = serializers.CharField(allow_blank=True)
    last_name = serializers.CharField(allow_blank=True)
    role = serializers.ChoiceField(choices=User.Role.choices)
    tier = serializers.ChoiceField(choices=User.Tier.choices)
    is_active = serializers.BooleanField()
    suspended_at = serializers.DateTimeField(allow_null=True)
    suspension_reason = serializers.CharField(allow_blank=True)
    lms_user_id = serializers.CharField(allow_blank=True)
    date_joined = serializers.DateTimeField()
    last_login = serializers.DateTimeField(allow_null=True)


class ExportEmailAddressSerializer(serializers.Serializer):
    email = serializers.EmailField()
    verified = serializers.BooleanField()
    primary = serializers.BooleanField()


class ExportSocialAccountSerializer(serializers.Serializer):
    provider = serializers.CharField()
    uid = serializers.CharField()
    date_joined = serializers.DateTimeField()
    last_login = serializers.DateTimeField()


class ExportCredentialSerializer(serializers.Serializer):
    provider = serializers.CharField()
    last_four = serializers.CharField(
        allow_blank=True, help_text="At most the token's last four characters; never the token."
    )
    expires_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class ExportNotificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = ["id", "type", "title", "body", "data", "read_at", "created_at"]
        read_only_fields = fields


class ExportEmailSerializer(serializers.ModelSerializer):
    class Meta:
        model = OutgoingEmail
        fields = ["type", "data", "status", "created_at", "sent_at"]
        read_only_fields = fields


class ExportNotificationPreferenceSerializer(serializers.Serializer):
    type = serializers.CharField()
    email = serializers.BooleanField()
    in_app = serializers.BooleanField()


class ExportStaffActionSerializer(serializers.Serializer):
    action = serializers.CharField()
    reason = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()


class ExportAccountSerializer(serializers.Serializer):
    profile = ExportProfileSerializer()
    email_addresses = ExportEmailAddressSerializer(many=True)
    social_accounts = ExportSocialAccountSerializer(many=True)
    credentials = ExportCredentialSerializer(many=True)
    notifications = ExportNotificationSerializer(many=True)
    emails = ExportEmailSerializer(many=True)
    notification_preferences = ExportNotificationPreferenceSerializer(many=True)
    staff_actions = ExportStaffActionSerializer(many=True)


def _section(help_text: str) -> serializers.DictField:
    return serializers.DictField(child=serializers.JSONField(), help_text=help_text)


class PersonalDataExportSerializer(serializers.Serializer):
    """Everything the platform holds about the caller. Never a token, a password hash or a
    secret: stored credentials show their provider and last four characters only."""

    exported_at = serializers.DateTimeField()
    user_id = serializers.IntegerField()
    account = ExportAccountSerializer()
    attendance = _section(
        "`days` (daily attendance), `videos` (progress per video), `video_days` (progress per "
        "video and day), `events` (player events as received)."
    )
    courses = _section(
        "`enrollments`, `quiz_answers` (question, quiz, course, correctness, score), "
        "`invitations` (to the caller's email), `courses_taught`."
    )
    credits = _section("`account` (balances), `transactions` (every one), `holds`.")
    jobs = _section(
        "`projects` (deleted ones too), `jobs`, `youtube_uploads`, `youtube_connection` "
        "(channel and scopes; the token's last four characters only)."
    )
    mentoring = _section(
        "`mentor_profile` (with expertise, availability and blocked periods; null for "
        "non-mentors), `sessions`, `messages` (sent and received), `reviews_written`, "
        "`reviews_received`."
    )
    videos = _section("`playlist_imports` the caller asked for.")
