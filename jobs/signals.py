"""Domain events of the jobs app. Receivers live in the apps that care, are connected in
their `AppConfig.ready()` with a `dispatch_uid`, and stay thin.

job_finished(sender=Job, job_id: int, user_id: int, status: str)
    Sent once per run that ends: `status` is "completed" (credits spent), "failed" (failed
    for good; credits given back) or "cancelled" (credits given back). A job retried after
    failing can finish again later and send it again. It fires after the transaction that
    finished the job has committed (`transaction.on_commit`), so the job's row already
    shows the outcome, a receiver may enqueue work directly, and it must not assume it runs
    inside a transaction. Not sent when a run is requeued for an automatic retry."""

from django.dispatch import Signal

job_finished = Signal()
