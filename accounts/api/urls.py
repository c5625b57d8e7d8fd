from allauth.socialaccount.providers.github import views as github_views
from allauth.socialaccount.providers.google import views as google_views
from django.urls import include, path
from rest_framework.routers import SimpleRouter

from accounts.api import notifications, social, views

router = SimpleRouter(trailing_slash=False)
router.register("users", views.UserViewSet, basename="user")
router.register("notifications", notifications.NotificationViewSet, basename="notification")

urlpatterns = [
    path("auth/signup", views.SignupView.as_view(), name="auth-signup"),
    path("auth/login", views.LoginView.as_view(), name="auth-login"),
    path("auth/refresh", views.RefreshView.as_view(), name="auth-refresh"),
    path("auth/logout", views.LogoutView.as_view(), name="auth-logout"),
    path("auth/me", views.MeView.as_view(), name="auth-me"),
    path("auth/me/export", views.PersonalDataExportView.as_view(), name="auth-me-export"),
    path("auth/password/change", views.PasswordChangeView.as_view(), name="auth-password-change"),
    path("auth/password/reset", views.PasswordResetView.as_view(), name="auth-password-reset"),
    path(
        "auth/password/reset/confirm",
        views.PasswordResetConfirmView.as_view(),
        name="auth-password-reset-confirm",
    ),
    path("auth/social/token", social.SocialTokenView.as_view(), name="auth-social-token"),
    # Where the providers send the browser back in the redirect flow (the OAuth redirect_uri
    # to register with Google and GitHub); allauth finds them by these names.
    path("auth/providers/google/callback", google_views.oauth2_callback, name="google_callback"),
    path("auth/providers/github/callback", github_views.oauth2_callback, name="github_callback"),
    path(
        "notifications/preferences",
        notifications.NotificationPreferencesView.as_view(),
        name="notification-preferences",
    ),
    path("", include(router.urls)),
]
