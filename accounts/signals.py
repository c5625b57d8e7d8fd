"""Domain events of the accounts app.

user_created(sender=User, user: User)
    Sent by `user_create` (and social signup) inside the transaction that creates the user,
    after the row exists. Receivers that write (the credits account) share that transaction;
    anything leaving the process must wait for commit.

user_deleted(sender=User, user: User)
    Sent by `user_delete` inside its transaction, after personal data is anonymised.
    Receivers revoke what they hold for the user (stored credentials, sessions)."""

from django.dispatch import Signal

user_created = Signal()
user_deleted = Signal()
