from django.urls import path

from credits.api import views

urlpatterns = [
    path("credits", views.BalanceView.as_view(), name="credits-balance"),
    path("credits/transactions", views.TransactionListView.as_view(), name="credits-transactions"),
    path("credits/check", views.CheckView.as_view(), name="credits-check"),
    path("credits/grant", views.GrantView.as_view(), name="credits-grant"),
    path("credits/adjust", views.AdjustView.as_view(), name="credits-adjust"),
    path(
        "credits/webhooks/payment",
        views.PaymentWebhookView.as_view(),
        name="credits-webhook-payment",
    ),
    path("users/<int:user_id>/credits", views.UserBalanceView.as_view(), name="user-credits"),
    path(
        "users/<int:user_id>/credits/transactions",
        views.UserTransactionListView.as_view(),
        name="user-credits-transactions",
    ),
]
