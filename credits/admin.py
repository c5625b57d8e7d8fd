"""Read-only admin of the ledger: balances change only through the services (the "Grant
credits" action on users calls one)."""

from django.contrib import admin
from django.http import HttpRequest

from credits.models import CreditAccount, CreditHold, CreditTransaction


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(CreditAccount)
class CreditAccountAdmin(ReadOnlyAdmin):
    list_display = [
        "user",
        "allowance",
        "purchased",
        "held",
        "available",
        "last_reset_period",
        "updated_at",
    ]
    list_select_related = ["user"]
    search_fields = ["user__email", "user__username"]
    list_filter = ["last_reset_period", "user__tier"]

    @admin.display(description="available")
    def available(self, obj: CreditAccount) -> int:
        return obj.available


@admin.register(CreditTransaction)
class CreditTransactionAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "account",
        "kind",
        "allowance_delta",
        "purchased_delta",
        "held_delta",
        "balance_after",
        "reference",
        "created_by",
    ]
    list_filter = ["kind"]
    list_select_related = ["account", "created_by"]
    search_fields = ["reference", "idempotency_key", "account__user__email"]
    date_hierarchy = "created_at"


@admin.register(CreditHold)
class CreditHoldAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "account", "amount", "captured_amount", "status", "reference"]
    list_filter = ["status"]
    list_select_related = ["account"]
    search_fields = ["reference", "account__user__email"]
