"""The caller's LMS token: stored encrypted in the accounts credential store (provider
"canvas"), with the LMS base URL (`link`) and the LMS course ids it is meant for in
`extra`. The link is checked against SSRF before it is stored (`safety`)."""

import re

from django.db import transaction

from accounts.models import Credential, User
from accounts.selectors import credential_get
from accounts.services import credential_delete, credential_store
from config.errors import ValidationFailed
from courses.lms.safety import validated_link

PROVIDER = Credential.Provider.CANVAS
LMS_COURSE_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9:_.-]{0,63}$")
MAX_COURSE_IDS = 200


def normalised_course_ids(course_ids: list[str]) -> list[str]:
    """Distinct course ids in the order given; 400 for an empty list or a malformed id."""
    cleaned = [str(value).strip() for value in course_ids]
    bad = [value for value in cleaned if not LMS_COURSE_ID_PATTERN.match(value)]
    if not cleaned or bad or len(cleaned) > MAX_COURSE_IDS:
        message = (
            f"Give 1 to {MAX_COURSE_IDS} LMS course ids."
            if not bad
            else f"Not an LMS course id: {', '.join(repr(value) for value in bad[:5])}."
        )
        raise ValidationFailed("Invalid input: course_ids.", errors={"course_ids": [message]})
    return list(dict.fromkeys(cleaned))


@transaction.atomic
def lms_token_store(
    *, user: User, access_token: str, course_ids: list[str], link: str
) -> Credential:
    """Create or replace the user's Canvas token. 400 `unsafe_link` for a link that is not
    https or points to a private, loopback, link-local or reserved address."""
    base_url = validated_link(link)
    return credential_store(
        user=user,
        provider=PROVIDER,
        access_token=access_token,
        extra={"link": base_url, "course_ids": normalised_course_ids(course_ids)},
    )


def lms_token_get(*, user: User) -> Credential | None:
    return credential_get(user=user, provider=PROVIDER)


def lms_token_delete(*, user: User) -> bool:
    return credential_delete(user=user, provider=PROVIDER)
