"""OpenAPI description of the accounts authentication class (simplejwt's bearer scheme)."""

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme


class JWTScheme(SimpleJWTScheme):
    target_class = "accounts.api.authentication.JWTAuthentication"
