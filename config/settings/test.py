"""Settings for the test suite: fast hashing, in-memory mail, tasks run in-process."""

from .base import *  # noqa: F403
from .base import env

SECRET_KEY = "test-secret-key-not-for-production-0123456789abcdef"
FIELD_ENCRYPTION_KEYS = ["dGVzdC1rZXktdGVzdC1rZXktdGVzdC1rZXktdGVzdCE="]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)
RATE_LIMIT_REQUESTS = 10_000
RATE_LIMIT_AUTH_REQUESTS = 10_000
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
# xdist workers share one Redis: each keeps its keys (cache, rate-limit buckets) apart.
CACHES["default"]["KEY_PREFIX"] = env.str("CACHE_KEY_PREFIX", default="lectern-test") + env.str(
    "PYTEST_XDIST_WORKER", default=""
)
LOGGING["root"]["level"] = "WARNING"
# Tests count queries; the authenticated-user cache would hide the user lookup from them.
# Its own tests turn it on.
AUTH_USER_CACHE_SECONDS = 0
# The lexical ranker keeps the suite fast and deterministic; the semantic ranker's tests
# ask for it explicitly (and skip when requirements/ml.txt is not installed).
REMEDIATION_RANKER = env.str("REMEDIATION_RANKER", default="lexical")
