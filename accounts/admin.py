import uuid
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts import services
from accounts.audit import AuditedAdminMixin
from accounts.models import (
    AuditLog,
    Credential,
    Notification,
    NotificationPreference,
    OutgoingEmail,
    User,
)
from config.errors import DomainError
from credits import services as credits_services


class UserActionForm(ActionForm):
    """Extra inputs for the user actions: a reason (suspend, reactivate, grant) and an
    amount (grant credits)."""

    reason = forms.CharField(required=False, max_length=500)
    amount = forms.IntegerField(required=False, min_value=1)
    # New on every rendering of the list: submitting the same page twice grants once.
    idempotency_key = forms.CharField(
        required=False, max_length=64, widget=forms.HiddenInput, initial=lambda: uuid.uuid4().hex
    )


class GrantCreditsForm(forms.Form):
    """The inputs of the "Grant credits" and "Remove credits" actions, read from the action
    form's POST."""

    amount = forms.IntegerField(min_value=1)
    reason = forms.CharField(max_length=500)
    idempotency_key = forms.CharField(required=False, max_length=64)


class UserAddForm(AdminUserCreationForm):
    """Emails are unique whatever their case, as `user_create` has it."""

    def clean_email(self) -> str:
        email = User.objects.normalize_email(self.cleaned_data["email"]).lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError("A user with this email already exists.")
        return email


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    action_form = UserActionForm
    add_form = UserAddForm
    list_display = ["email", "username", "role", "tier", "is_active", "suspended_at", "date_joined"]
    list_filter = ["role", "tier", "is_active", "is_staff"]
    search_fields = ["email", "username", "first_name", "last_name"]
    ordering = ["id"]
    fieldsets = (
        (None, {"fields": ("email", "username", "password")}),
        ("Profile", {"fields": ("first_name", "last_name", "role", "tier", "lms_user_id")}),
        ("Status", {"fields": ("is_active", "suspended_at", "suspension_reason", "deleted_at")}),
        ("Permissions", {"fields": ("is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "username", "password1", "password2")}),
    )
    readonly_fields = ["suspended_at", "suspension_reason", "deleted_at", "last_login"]
    actions = [
        "suspend_users",
        "reactivate_users",
        "grant_credits",
        "adjust_credits",
        "delete_users",
    ]

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        """Users are never removed: the ledger and attendance refer to them. The "Delete
        selected users" action anonymises them instead (`user_delete`)."""
        return False

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        """A user added here is created by `user_create`, like every other way in (credit
        account, welcome email, audit record); an edit is saved and audited by
        `user_save_by_staff`."""
        if change:
            services.user_save_by_staff(user=obj, acting_user=request.user)  # type: ignore[arg-type]
            return
        user = services.user_create(
            email=obj.email,
            username=obj.username,
            password=form.cleaned_data.get("password1") if obj.has_usable_password() else None,
            acting_user=request.user,  # type: ignore[arg-type]
        )
        obj.pk = user.pk
        obj.refresh_from_db()

    def _for_each(
        self,
        request: HttpRequest,
        queryset: QuerySet[User],
        apply: Callable[[User], object],
        done_message: str,
    ) -> None:
        """Run `apply` for each selected user; a refusal is a warning naming the user, and
        `done_message` (with `{done}`) reports how many went through."""
        done = 0
        for user in queryset:
            try:
                apply(user)
                done += 1
            except DomainError as exc:
                self.message_user(request, f"{user}: {exc.message}", messages.WARNING)
        self.message_user(request, done_message.format(done=done))

    @admin.action(description="Suspend selected users (give a reason)")
    def suspend_users(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        reason = request.POST.get("reason", "").strip()
        if not reason:
            self.message_user(request, "A reason is required to suspend.", messages.ERROR)
            return
        acting = request.user
        self._for_each(
            request,
            queryset,
            lambda user: services.user_suspend(user=user, acting_user=acting, reason=reason),  # type: ignore[arg-type]
            "Suspended {done} user(s).",
        )

    @admin.action(description="Reactivate selected users")
    def reactivate_users(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        reason = request.POST.get("reason", "").strip()
        acting = request.user
        self._for_each(
            request,
            queryset,
            lambda user: services.user_reactivate(user=user, acting_user=acting, reason=reason),  # type: ignore[arg-type]
            "Reactivated {done} user(s).",
        )

    def _move_credits(self, request: HttpRequest, queryset: QuerySet[User], *, grant: bool) -> None:
        """Grant (`grant`) or remove the form's amount, with its reason, for each user; one
        idempotency key per submission, so a resubmitted form moves nothing twice."""
        form = GrantCreditsForm(request.POST)
        if not form.is_valid():
            self.message_user(
                request, "A positive whole amount and a reason are required.", messages.ERROR
            )
            return
        amount = form.cleaned_data["amount"]
        key = form.cleaned_data["idempotency_key"] or uuid.uuid4().hex
        move = credits_services.add_credits if grant else credits_services.deduct_credits
        acting = request.user
        self._for_each(
            request,
            queryset,
            lambda user: move(
                user=user,
                amount=amount,
                kind="grant" if grant else "adjustment",
                reason=form.cleaned_data["reason"],
                idempotency_key=f"admin-{'grant' if grant else 'adjust'}:{key}",
                acting_user=acting,  # type: ignore[arg-type]
            ),
            f"{'Granted' if grant else 'Removed'} {amount} credit(s) "
            f"{'to' if grant else 'from'} {{done}} user(s).",
        )

    @admin.action(description="Grant credits to selected users (give an amount and a reason)")
    def grant_credits(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        self._move_credits(request, queryset, grant=True)

    @admin.action(description="Remove credits from selected users (give an amount and a reason)")
    def adjust_credits(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        self._move_credits(request, queryset, grant=False)

    @admin.action(description="Delete selected users (anonymise; give a reason)")
    def delete_users(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        reason = request.POST.get("reason", "").strip()
        if not reason:
            self.message_user(request, "A reason is required to delete.", messages.ERROR)
            return
        acting = request.user
        self._for_each(
            request,
            queryset,
            lambda user: services.user_delete(user=user, acting_user=acting, reason=reason),  # type: ignore[arg-type]
            "Deleted {done} user(s).",
        )


@admin.register(AuditLog)
class AuditLogAdmin(admin.ModelAdmin):
    list_display = ["created_at", "actor", "action", "target_type", "target_id", "reason"]
    list_filter = ["action", "target_type"]
    search_fields = ["target_id", "reason", "actor__email"]
    readonly_fields = [f.name for f in AuditLog._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Credential)
class CredentialAdmin(admin.ModelAdmin):
    """Shows which credentials exist, never their tokens. Read only: credentials go through
    their owner (or with a closed account)."""

    list_display = ["user", "provider", "token_hint", "expires_at", "updated_at"]
    list_filter = ["provider"]
    fields = ["user", "provider", "token_hint", "expires_at", "scopes", "extra", "updated_at"]
    readonly_fields = [
        "user",
        "provider",
        "token_hint",
        "expires_at",
        "scopes",
        "extra",
        "updated_at",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """The in-app inbox, read-only: entries are written by `notify`."""

    list_display = ["created_at", "user", "type", "title", "read_at"]
    list_filter = ["type", ("read_at", admin.EmptyFieldListFilter)]
    list_select_related = ["user"]
    search_fields = ["user__email", "title"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in Notification._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(OutgoingEmail)
class OutgoingEmailAdmin(admin.ModelAdmin):
    """Notification emails and their delivery, read-only: failed ones say why."""

    list_display = ["created_at", "user", "type", "status", "attempts", "sent_at"]
    list_filter = ["status", "type"]
    list_select_related = ["user"]
    search_fields = ["user__email"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in OutgoingEmail._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["user", "type", "email", "in_app"]
    list_filter = ["type", "email", "in_app"]
    list_select_related = ["user"]
    search_fields = ["user__email"]
    raw_id_fields = ["user"]
