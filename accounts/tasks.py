"""Thin Celery tasks of the accounts app: take ids, call one function."""

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string

from accounts import notifications
from accounts.models import User


def _send(user: User, template: str, context: dict) -> None:
    context = {"user": user, "platform_name": settings.PLATFORM_NAME, **context}
    subject = render_to_string(f"email/{template}_subject.txt", context).strip()
    text = render_to_string(f"email/{template}.txt", context)
    html = render_to_string(f"email/{template}.html", context)
    send_mail(subject, text, None, [user.email], html_message=html)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, retry_backoff_max=600, max_retries=5)
def send_password_reset_email(user_id: int, uid: str, token: str) -> None:
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is not None:
        link = f"{settings.FRONTEND_URL}/password/reset/confirm?uid={uid}&token={token}"
        _send(user, "password_reset", {"link": link, "uid": uid, "token": token})


@shared_task(autoretry_for=(OSError,), retry_backoff=True, retry_backoff_max=600, max_retries=5)
def send_notification_email(email_id: int) -> str:
    """The email channel of `notifications.notify`: send one outgoing email. Mail-server
    errors (smtplib's are OSErrors) retry with backoff; a user no longer active gets
    nothing; an email already sent or being sent is not sent again."""
    return notifications.notification_email_send(email_id=email_id)


@shared_task(acks_late=True, ignore_result=True)
def notification_emails_resend_task() -> tuple[int, int]:
    """Beat, every five minutes: send again the emails a broker outage left pending."""
    return notifications.notification_emails_resend()
