from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models

from accounts.fields import EncryptedTextField


class LecternUserManager(UserManager["User"]):
    def create_superuser(  # type: ignore[override]
        self, username: str, email: str | None = None, password: str | None = None, **extra
    ) -> "User":
        extra.setdefault("role", User.Role.ADMIN)
        return super().create_superuser(username, email, password, **extra)


class User(AbstractUser):
    """A person on the platform. Logs in with email (or username). `role` admin means staff.

    Suspension is `is_active=False` with `suspended_at` and a reason. `token_version` is
    carried in every JWT; bumping it revokes every token issued before."""

    class Role(models.TextChoices):
        STUDENT = "student", "Student"
        MENTOR = "mentor", "Mentor"
        ADMIN = "admin", "Admin"

    class Tier(models.TextChoices):
        FREE = "free", "Free"
        PRO = "pro", "Pro"
        ENTERPRISE = "enterprise", "Enterprise"

    email = models.EmailField(unique=True)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.STUDENT)
    tier = models.CharField(max_length=16, choices=Tier.choices, default=Tier.FREE)
    suspended_at = models.DateTimeField(null=True, blank=True)
    suspension_reason = models.CharField(max_length=500, blank=True)
    token_version = models.PositiveIntegerField(default=0)
    lms_user_id = models.CharField(max_length=64, blank=True, db_index=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = ["username"]

    objects = LecternUserManager()  # type: ignore[misc]

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["role"])]

    def __str__(self) -> str:
        return self.email

    @property
    def is_suspended(self) -> bool:
        return not self.is_active and self.suspended_at is not None


class AuditLog(models.Model):
    """Who did what to what, when and why, with the state before and after. Append-only;
    written by the service that performs the action, in the same transaction. The one
    change: closing an account replaces the personal fields (email, names) in the snapshots
    of the records about it with their anonymised values."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=64, db_index=True)
    target_type = models.CharField(max_length=64)
    target_id = models.CharField(max_length=64)
    reason = models.TextField(blank=True)
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["target_type", "target_id"])]

    def __str__(self) -> str:
        return f"{self.action} {self.target_type}:{self.target_id}"


class Credential(models.Model):
    """A third-party token (LMS, YouTube) kept encrypted. The database never holds the
    plaintext; the API shows at most the last four characters (`token_hint`)."""

    class Provider(models.TextChoices):
        CANVAS = "canvas", "Canvas LMS"
        YOUTUBE = "youtube", "YouTube"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="credentials"
    )
    provider = models.CharField(max_length=32, choices=Provider.choices)
    access_token = EncryptedTextField()
    refresh_token = EncryptedTextField(blank=True, default="")
    token_hint = models.CharField(max_length=4, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    scopes = models.JSONField(default=list, blank=True)
    extra = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "provider"], name="credential_unique_provider")
        ]

    def __str__(self) -> str:
        return f"{self.provider} credential of user {self.user_id}"


class Notification(models.Model):
    """One entry of a user's in-app inbox, written by `accounts.notifications.notify` in the
    transaction of the change it reports. `title` and `body` are rendered when it is
    written; `data` keeps the facts they were rendered from, for clients."""

    class Type(models.TextChoices):
        WELCOME = "welcome", "Welcome"
        SESSION_REQUESTED = "session_requested", "Session requested"
        SESSION_CONFIRMED = "session_confirmed", "Session confirmed"
        SESSION_RESCHEDULED = "session_rescheduled", "Session rescheduled"
        SESSION_STARTED = "session_started", "Session started"
        SESSION_REMINDER = "session_reminder", "Session reminder"
        SESSION_CANCELLED = "session_cancelled", "Session cancelled"
        SESSION_COMPLETED = "session_completed", "Session completed"
        SESSION_NO_SHOW = "session_no_show", "Session missed"
        NEW_MESSAGE = "new_message", "New message"
        PAYMENT_RECEIVED = "payment_received", "Payment received"
        JOB_FINISHED = "job_finished", "Job finished"
        JOB_FAILED = "job_failed", "Job failed"
        PLAYLIST_IMPORTED = "playlist_imported", "Playlist imported"
        PLAYLIST_IMPORT_FAILED = "playlist_import_failed", "Playlist import failed"
        CREDITS_GRANTED = "credits_granted", "Credits granted"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    type = models.CharField(max_length=32, choices=Type.choices)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "read_at"], name="notification_user_read"),
            models.Index(fields=["user", "-created_at", "-id"], name="notification_user_inbox"),
        ]

    def __str__(self) -> str:
        return f"{self.type} for user {self.user_id}"


class OutgoingEmail(models.Model):
    """The email channel of a notification: written by `notify` in the transaction of the
    change it reports, then sent by a task after commit. A broker outage, a lost message or
    a worker that died mid-send leaves it pending, and the sweep sends it again; so an email
    is never lost, and only a crash between the mail server's answer and the row's update
    can send it twice."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        SKIPPED = "skipped", "Skipped (user no longer active)"
        FAILED = "failed", "Failed (gave up)"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="outgoing_emails"
    )
    type = models.CharField(max_length=32, choices=Notification.Type.choices)
    data = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "updated_at"], name="outgoing_email_due")]

    def __str__(self) -> str:
        return f"{self.type} email to user {self.user_id} ({self.status})"


class NotificationPreference(models.Model):
    """A user's channels for one notification type. Without a row the defaults of
    settings.NOTIFICATION_DEFAULT_CHANNELS (and NOTIFICATION_TYPE_CHANNELS) apply."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    type = models.CharField(max_length=32, choices=Notification.Type.choices)
    email = models.BooleanField()
    in_app = models.BooleanField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "type"], name="notification_preference_unique_type"
            )
        ]

    def __str__(self) -> str:
        return f"{self.type} preference of user {self.user_id}"
