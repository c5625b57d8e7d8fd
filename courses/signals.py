"""Domain events of the courses app. Receivers live in the apps that care, are connected in
their `AppConfig.ready()` with a `dispatch_uid`, and stay thin.

course_context_changed(sender=Course, course_id: int)
    Sent whenever a course's stored `context` text changes: by `course_context_update`
    (PUT .../context) and by `course_create` for a course created with a context. Not sent
    when the new text equals the old. It fires once the transaction has committed
    (`transaction.on_commit`), so a receiver may enqueue work directly and must not assume
    it runs inside a transaction.

enrollment_created(sender=Enrollment, enrollment_id: int, user_id: int, course_id: int,
                   reactivated: bool)
    Sent by `enrollment_create` inside its transaction, after the enrollment row is active:
    for a new registration (`reactivated=False`) and for a dropped enrollment registered
    again (`reactivated=True`). Receivers that write share the transaction; anything that
    leaves the process must wait for commit (`transaction.on_commit`).

assessments_changed(sender=Quiz, course_id: int)
    Sent after quiz results of a course were stored, by an LMS sync or an upload
    (`courses.assessments.assessments_store`): questions may be new or reworded and
    answers new. It fires once the transaction has committed, so a receiver may enqueue
    work directly."""

from django.dispatch import Signal

course_context_changed = Signal()
enrollment_created = Signal()
assessments_changed = Signal()
