"""The authenticated user's row, cached between requests so that a bearer token costs one
cache read instead of a database query.

An entry is `(generation, user)` under the user's key; the user's generation is a random
token under a second key, replaced (never expired) every time the user changes: on every
save and delete (receivers in `accounts.apps`) and after every queryset update of a user row
(`accounts.services`). Both keys are read in one round trip, and an entry counts only when
its generation is the current one, so a reader that loaded the row just before a change and
stores it just after does not bring the old row back. The generation is replaced after the
change commits: a suspension, a password change or a token revocation is seen by the very
next request, in every process.

The cache is used only when it is shared by every process and answering: Redis, not the
process-memory fallback (an invalidation would not reach the other processes) and not the
local-memory cache of the embedded defaults. The password hash is never cached (the field
is deferred and loaded only when asked for). `AUTH_USER_CACHE_SECONDS` = 0 turns it off."""

import logging
import uuid
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from accounts.models import User
from config.cache import shared_cache_available

logger = logging.getLogger(__name__)


def _keys(user_id: Any) -> tuple[str, str]:
    return f"auth-user:{user_id}", f"auth-user:{user_id}:generation"


def _load(user_id: Any) -> User | None:
    return User.objects.defer("password").filter(pk=user_id).first()


def user_for_authentication(*, user_id: Any) -> User | None:
    """The user a valid token names (deleted and suspended users included: the caller
    decides), from the cache when it holds the current row."""
    seconds = settings.AUTH_USER_CACHE_SECONDS
    if seconds <= 0 or not shared_cache_available():
        return _load(user_id)
    entry_key, generation_key = _keys(user_id)
    try:
        found = cache.get_many([entry_key, generation_key])
        generation = found.get(generation_key)
        entry = found.get(entry_key)
        if not shared_cache_available():  # answered by the process-memory fallback
            return _load(user_id)
        if generation is not None and entry is not None and entry[0] == generation:
            return entry[1]  # type: ignore[no-any-return]
        if generation is None:
            generation = uuid.uuid4().hex
            if not cache.add(generation_key, generation, None):
                generation = cache.get(generation_key)
        user = _load(user_id)
        if user is not None and generation is not None and shared_cache_available():
            cache.set(entry_key, (generation, user), seconds)
        return user
    except Exception as exc:
        logger.warning("user cache unavailable: %s", exc)
        return _load(user_id)


def user_cache_forget(*, user_id: Any) -> None:
    """Make every cached copy of the user stale, once the current transaction commits (at
    once outside one). Nothing to do while the cache is off."""
    if settings.AUTH_USER_CACHE_SECONDS <= 0:
        return

    def forget() -> None:
        try:
            cache.set(_keys(user_id)[1], uuid.uuid4().hex, None)
        except Exception as exc:
            logger.warning("user cache unavailable, could not forget user %s: %s", user_id, exc)

    transaction.on_commit(forget)


def user_changed(sender: Any, instance: User, **kwargs: Any) -> None:
    """post_save and post_delete receiver for User (a new row has nothing cached yet)."""
    if not kwargs.get("created", False):
        user_cache_forget(user_id=instance.pk)
