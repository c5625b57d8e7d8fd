"""Local development: the default for manage.py. Works with nothing configured."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env.str("SECRET_KEY", default="dev-insecure-secret-key-change-me-0123456789")
if not FIELD_ENCRYPTION_KEYS:
    # A fixed development key so that a first run needs nothing; production refuses this.
    FIELD_ENCRYPTION_KEYS = ["ZGV2LWtleS1kZXYta2V5LWRldi1rZXktZGV2LWtleSE="]
REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"] = [
    "rest_framework.renderers.JSONRenderer",
    "rest_framework.renderers.BrowsableAPIRenderer",
]
