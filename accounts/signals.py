"""Domain events of the accounts app.

user_created(sender=User, user: User)
    Sent by `user_create` (and social signup) inside the transaction that creates the user,
    after the row exists. Receivers that write (the credits account) share that transaction;
    anything leaving the process must wait for commit.

user_deleted(sender=User, user: User)
    Sent by `user_delete` and `account_delete` inside their transaction, after personal data
    is anonymised, tokens revoked and stored credentials removed. Receivers clean up what
    their app holds for the user in the same transaction (the jobs app cancels running work
    and releases its credits, mentoring cancels upcoming sessions, courses drops active
    enrollments) and must be safe to run again. Ledger and attendance rows stay, so their
    totals keep adding up.

personal_data_export(sender=User, user: User)
    Sent by `selectors.personal_data_export` to collect what every app holds about `user`
    (`GET /api/v1/auth/me/export`). Each receiver only reads, and returns a dict mapping its
    section name (its app's label) to JSON-ready data: lists of plain dicts, datetimes
    allowed. It never returns a token, a password hash or any other secret, and reads each
    list in a fixed number of queries, however many rows the user has."""

from django.dispatch import Signal

user_created = Signal()
user_deleted = Signal()
personal_data_export = Signal()
