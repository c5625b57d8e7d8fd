"""Reviews of completed sessions, and the mentor rating they make."""

from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import Avg, Count

from accounts.models import User
from config.errors import Conflict, ValidationFailed
from mentoring.models import MentorProfile, Review, Session
from mentoring.services.sessions import session_actor_check, session_lock

REVIEW_COMMENT_MAX_LENGTH = 2000


@transaction.atomic
def review_create(*, session_id: int, acting_user: User, rating: int, comment: str = "") -> Review:
    """The student reviews a completed session, once. The mentor's `rating` (the mean of
    their reviews, two decimals) and `review_count` are recomputed in the same transaction,
    under the mentor's lock, so concurrent reviews cannot lose an update."""
    session = session_lock(session_id)
    session_actor_check(session=session, user=acting_user, action="review")
    if session.status != Session.Status.COMPLETED:
        raise Conflict("Only completed sessions can be reviewed.", code="session_not_completed")
    if Review.objects.filter(session_id=session.pk).exists():
        raise Conflict("The session is already reviewed.", code="already_reviewed")
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise ValidationFailed(
            "Invalid input: rating.", errors={"rating": ["A whole number from 1 to 5."]}
        )
    if len(comment) > REVIEW_COMMENT_MAX_LENGTH:
        raise ValidationFailed(
            "Invalid input: comment.",
            errors={"comment": [f"At most {REVIEW_COMMENT_MAX_LENGTH} characters."]},
        )
    review = Review.objects.create(
        session=session,
        student_id=session.student_id,
        mentor_id=session.mentor_id,
        rating=rating,
        comment=comment,
    )
    totals = Review.objects.filter(mentor_id=session.mentor_id).aggregate(
        average=Avg("rating"), count=Count("id")
    )
    average = Decimal(str(totals["average"])).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    MentorProfile.objects.filter(user_id=session.mentor_id).update(
        rating=average, review_count=totals["count"]
    )
    return review
