from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import AuditLog, User
from credits import services as credits_services
from credits.models import CreditHold, CreditTransaction
from jobs import processors, services
from jobs.models import Job
from tests.accounts.factories import StudentFactory
from tests.conftest import client_for
from tests.jobs.factories import JobFactory, ProjectFactory, give_credits
from tests.jobs.helpers import StepProcessor, failing

pytestmark = pytest.mark.django_db

J = Job.Status


def post_job(client, project, job_type="script_analysis", **extra):
    return client.post(
        "/api/v1/jobs", {"project_id": project.pk, "job_type": job_type, **extra}, format="json"
    )


def balance(user):
    b = credits_services.get_balance(user=user)
    return {"allowance": b.allowance, "purchased": b.purchased, "held": b.held}


def keys(user):
    return list(
        CreditTransaction.objects.filter(account__user=user)
        .exclude(kind="monthly_reset")
        .order_by("id")
        .values_list("kind", "idempotency_key")
    )


@pytest.fixture
def project(student):
    return ProjectFactory(owner=student)


@pytest.fixture
def use_processor(monkeypatch):
    def install(job_type, processor):
        monkeypatch.setitem(processors.PROCESSORS, job_type, processor)
        return processor

    return install


# --- creation, pricing and credits --------------------------------------------------------


def test_create_prices_the_job_and_holds_its_credits(student_client, student, project, settings):
    settings.JOBS_COST_PER_TYPE = {**settings.JOBS_COST_PER_TYPE, "thumbnail_generation": 2}
    response = post_job(
        student_client, project, "thumbnail_generation", parameters={"width": 640, "height": 360}
    )
    assert response.status_code == 201
    job = Job.objects.get()
    body = response.json()
    assert body == {
        "id": job.pk,
        "project": project.pk,
        "job_type": "thumbnail_generation",
        "parameters": {"width": 640, "height": 360, "text": ""},
        "priority": 1,
        "status": "queued",
        "progress": 0,
        "result": {},
        "error": "",
        "retry_count": 0,
        "max_retries": 3,
        "credit_cost": 2,
        "cancel_requested": False,
        "queued_at": body["queued_at"],
        "started_at": None,
        "finished_at": None,
        "failed_at": None,
        "created_at": body["created_at"],
        "updated_at": body["updated_at"],
    }
    hold = CreditHold.objects.get()
    assert (job.credit_hold, hold.amount, hold.status, hold.reference) == (
        hold,
        2,
        "open",
        f"job:{job.pk}",
    )
    assert keys(student) == [("hold", f"job:{job.pk}:hold")]
    assert balance(student) == {"allowance": 1, "purchased": 0, "held": 2}


def test_a_type_missing_from_the_price_list_costs_one_credit(student_client, project, settings):
    settings.JOBS_COST_PER_TYPE = {}
    assert post_job(student_client, project).json()["credit_cost"] == 1


def test_short_credits_are_402_with_no_job_and_nothing_held(
    student_client, student, project, settings
):
    settings.JOBS_COST_PER_TYPE = {**settings.JOBS_COST_PER_TYPE, "script_analysis": 5}
    response = post_job(student_client, project)
    assert response.status_code == 402
    assert response.json() == {
        "status_code": 402,
        "code": "insufficient_credits",
        "message": "Not enough credits: 5 required, 3 available.",
        "required": 5,
        "available": 3,
    }
    assert not Job.objects.exists()
    assert not CreditHold.objects.exists()
    assert balance(student) == {"allowance": 3, "purchased": 0, "held": 0}


@pytest.mark.parametrize(
    ("payload", "error_field"),
    [
        ({"job_type": "dance"}, "job_type"),
        (
            {"job_type": "script_analysis", "parameters": {"words_per_minute": 20}},
            "parameters.words_per_minute",
        ),
        ({"job_type": "script_analysis", "parameters": {"speed": 2}}, "parameters.speed"),
        ({"job_type": "thumbnail_generation", "parameters": {"width": "wide"}}, "parameters.width"),
        ({"job_type": "script_analysis", "parameters": [1, 2]}, "parameters"),
        ({"job_type": "full_generation"}, "job_type"),
        ({"job_type": "script_analysis", "priority": 7}, "priority"),
    ],
)
def test_bad_input_is_400_and_holds_nothing(student_client, student, project, payload, error_field):
    response = student_client.post(
        "/api/v1/jobs", {"project_id": project.pk, **payload}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [error_field]
    assert not Job.objects.exists()
    assert not CreditHold.objects.exists()


def test_parameter_errors_name_the_parameter(student_client, project):
    response = post_job(student_client, project, parameters={"words_per_minute": 20})
    assert response.json()["errors"] == {
        "parameters.words_per_minute": ["Ensure this value is greater than or equal to 80."]
    }


@pytest.mark.parametrize(
    "make_project",
    [
        lambda student: ProjectFactory(),
        lambda student: ProjectFactory(owner=student, deleted_at=timezone.now()),
    ],
    ids=["someone_elses", "deleted"],
)
def test_a_project_that_is_not_yours_is_404(student_client, student, make_project):
    response = post_job(student_client, make_project(student))
    assert response.status_code == 404
    assert response.json()["code"] == "project_not_found"
    assert not Job.objects.exists()


# --- dispatch and priority ----------------------------------------------------------------


def test_dispatch_happens_only_after_commit(
    student_client, project, published, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = post_job(student_client, project)
    job = Job.objects.get()
    assert response.status_code == 201
    assert published == []
    assert job.dispatched_at is None
    assert len(callbacks) == 1

    callbacks[0]()

    job.refresh_from_db()
    assert published == [
        {"job_id": job.pk, "queue": "low", "task_id": job.celery_task_id, "countdown": None}
    ]
    assert job.dispatched_at is not None


@pytest.mark.parametrize(
    ("tier", "priority", "queue"),
    [
        (User.Tier.FREE, 1, "low"),
        (User.Tier.PRO, 2, "normal"),
        (User.Tier.ENTERPRISE, 3, "high"),
    ],
)
def test_default_priority_comes_from_the_tier_and_picks_the_queue(
    published, django_capture_on_commit_callbacks, tier, priority, queue
):
    user = StudentFactory(tier=tier)
    with django_capture_on_commit_callbacks(execute=True):
        response = post_job(client_for(user), ProjectFactory(owner=user))
    assert response.json()["priority"] == priority
    assert [call["queue"] for call in published] == [queue]


def test_the_queue_prefix_is_applied(
    student_client, project, published, settings, django_capture_on_commit_callbacks
):
    settings.JOBS_QUEUE_PREFIX = "lectern-"
    with django_capture_on_commit_callbacks(execute=True):
        post_job(student_client, project)
    assert [call["queue"] for call in published] == ["lectern-low"]


def test_anyone_may_lower_their_priority(published, django_capture_on_commit_callbacks):
    user = StudentFactory(tier=User.Tier.ENTERPRISE)
    with django_capture_on_commit_callbacks(execute=True):
        response = post_job(client_for(user), ProjectFactory(owner=user), priority=1)
    assert response.status_code == 201
    assert [call["queue"] for call in published] == ["low"]


def test_raising_above_the_tier_is_403_for_a_creator(student_client, student, project, published):
    response = post_job(student_client, project, priority=2)
    assert response.status_code == 403
    assert response.json()["code"] == "priority_above_tier"
    assert response.json()["tier_priority"] == 1
    assert not Job.objects.exists()
    assert balance(student) == {"allowance": 3, "purchased": 0, "held": 0}


def test_staff_may_raise_a_job_above_their_tier(
    staff_client, staff, published, django_capture_on_commit_callbacks
):
    project = ProjectFactory(owner=staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = post_job(staff_client, project, priority=3)
    assert response.status_code == 201
    assert response.json()["priority"] == 3
    assert [call["queue"] for call in published] == ["high"]


# --- reads --------------------------------------------------------------------------------


def test_list_shows_own_jobs_with_filters(student_client, student):
    film, other_film = ProjectFactory(owner=student), ProjectFactory(owner=student)
    analysis = JobFactory(project=film)
    thumbnail = JobFactory(project=film, job_type="thumbnail_generation", status=J.COMPLETED)
    elsewhere = JobFactory(project=other_film, status=J.FAILED)
    JobFactory()  # someone else's

    def listed(query=""):
        return [item["id"] for item in student_client.get(f"/api/v1/jobs{query}").json()["results"]]

    assert listed() == [elsewhere.pk, thumbnail.pk, analysis.pk]
    assert listed("?status=completed") == [thumbnail.pk]
    assert listed("?job_type=script_analysis") == [elsewhere.pk, analysis.pk]
    assert listed(f"?project={film.pk}") == [thumbnail.pk, analysis.pk]
    assert student_client.get("/api/v1/jobs?status=stuck").status_code == 400


@pytest.mark.parametrize("page_size", [2, 20])
def test_list_query_count_does_not_grow_with_the_page(
    student_client, student, page_size, django_assert_num_queries
):
    film = ProjectFactory(owner=student)
    JobFactory.create_batch(25, project=film)
    # user (JWT), count, page
    with django_assert_num_queries(3):
        response = student_client.get(f"/api/v1/jobs?page_size={page_size}")
    assert len(response.json()["results"]) == page_size


def test_detail_shows_live_progress(student_client, student):
    job = JobFactory(project=ProjectFactory(owner=student), status=J.PROCESSING, progress=42)
    response = student_client.get(f"/api/v1/jobs/{job.pk}")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["progress"]) == ("processing", 42)


@pytest.mark.parametrize(
    ("method", "suffix"), [("get", ""), ("post", "/cancel"), ("post", "/retry")]
)
def test_someone_elses_job_is_404_and_unchanged(other_student_client, method, suffix):
    job = JobFactory(status=J.FAILED)
    response = getattr(other_student_client, method)(f"/api/v1/jobs/{job.pk}{suffix}")
    assert response.status_code == 404
    job.refresh_from_db()
    assert (job.status, job.retry_count) == (J.FAILED, 0)


# --- cancel -------------------------------------------------------------------------------


def test_cancel_a_queued_job_revokes_it_and_releases_the_hold(
    student_client, student, project, revoked, published, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        job_id = post_job(student_client, project).json()["id"]
    task_id = Job.objects.get().celery_task_id
    with django_capture_on_commit_callbacks(execute=True):
        response = student_client.post(f"/api/v1/jobs/{job_id}/cancel")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert revoked == [task_id]
    job = Job.objects.get()
    assert (job.status, job.finished_at is not None) == (J.CANCELLED, True)
    assert job.credit_hold.status == "released"
    assert keys(student) == [
        ("hold", f"job:{job.pk}:hold"),
        ("release", f"job:{job.pk}:release:{job.credit_hold_id}"),
    ]
    assert balance(student) == {"allowance": 3, "purchased": 0, "held": 0}
    # the revoked message, should it still arrive, runs nothing
    assert services.job_run(job_id=job.pk) == "skipped"
    assert balance(student) == {"allowance": 3, "purchased": 0, "held": 0}


def test_cancel_a_processing_job_stops_it_between_steps_and_releases(
    student_client, student, project, use_processor
):
    job_id = post_job(student_client, project).json()["id"]
    responses = []
    processor = use_processor(
        "script_analysis",
        StepProcessor(
            steps=3,
            hooks={
                0: lambda: responses.append(student_client.post(f"/api/v1/jobs/{job_id}/cancel"))
            },
        ),
    )

    outcome = services.job_run(job_id=job_id)

    assert (responses[0].status_code, responses[0].json()["status"]) == (200, "processing")
    assert responses[0].json()["cancel_requested"] is True
    assert outcome == "cancelled"
    assert processor.ran == [(job_id, 0)]  # steps 1 and 2 never ran
    job = Job.objects.get()
    assert (job.status, job.cancel_requested, job.progress) == (J.CANCELLED, True, 0)
    assert job.credit_hold.status == "released"
    assert balance(student) == {"allowance": 3, "purchased": 0, "held": 0}


@pytest.mark.parametrize("status", [J.COMPLETED, J.FAILED, J.CANCELLED])
def test_cancel_a_finished_job_is_409(student_client, student, status):
    job = JobFactory(project=ProjectFactory(owner=student), status=status)
    response = student_client.post(f"/api/v1/jobs/{job.pk}/cancel")
    assert response.status_code == 409
    assert response.json()["code"] == "job_not_cancellable"
    job.refresh_from_db()
    assert job.status == status


# --- retry --------------------------------------------------------------------------------


@pytest.fixture
def failed_job(student_client, student, project, use_processor):
    """A job that ran and failed for good: its first hold was released."""
    job_id = post_job(student_client, project).json()["id"]
    use_processor("script_analysis", failing())
    assert services.job_run(job_id=job_id) == "failed"
    return Job.objects.get(pk=job_id)


def test_retry_requeues_a_failed_job_with_a_new_hold(
    student_client, student, failed_job, published, django_capture_on_commit_callbacks
):
    assert failed_job.error == "The model refused the prompt."
    first_hold = failed_job.credit_hold_id
    with django_capture_on_commit_callbacks(execute=True):
        response = student_client.post(f"/api/v1/jobs/{failed_job.pk}/retry")
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["retry_count"], body["progress"], body["error"]) == (
        "queued",
        1,
        0,
        "",
    )
    assert (body["failed_at"], body["finished_at"], body["priority"]) == (None, None, 1)
    job = Job.objects.get()
    assert job.credit_hold_id != first_hold
    assert job.credit_hold.status == "open"
    assert keys(student) == [
        ("hold", f"job:{job.pk}:hold"),
        ("release", f"job:{job.pk}:release:{first_hold}"),
        ("hold", f"job:{job.pk}:hold:1"),
    ]
    assert [call["queue"] for call in published] == ["low"]


@pytest.mark.parametrize("status", [J.QUEUED, J.PROCESSING, J.COMPLETED, J.CANCELLED])
def test_retry_of_a_job_that_did_not_fail_is_409(student_client, student, status):
    job = JobFactory(project=ProjectFactory(owner=student), status=status)
    response = student_client.post(f"/api/v1/jobs/{job.pk}/retry")
    assert response.status_code == 409
    assert response.json()["code"] == "job_not_failed"
    job.refresh_from_db()
    assert (job.status, job.retry_count) == (status, 0)


def test_retry_past_max_retries_is_409(student_client, student, failed_job):
    Job.objects.filter(pk=failed_job.pk).update(retry_count=3)
    response = student_client.post(f"/api/v1/jobs/{failed_job.pk}/retry")
    assert response.status_code == 409
    assert response.json() == {
        "status_code": 409,
        "code": "retries_exhausted",
        "message": "The job was already retried 3 times (the limit).",
        "retry_count": 3,
        "max_retries": 3,
    }
    failed_job.refresh_from_db()
    assert (failed_job.status, failed_job.retry_count) == (J.FAILED, 3)
    assert CreditHold.objects.filter(status="open").count() == 0


def test_retry_without_credits_is_402_and_changes_nothing(student_client, student, failed_job):
    credits_services.deduct_credits(user=student, amount=3, idempotency_key="spend-all")
    response = student_client.post(f"/api/v1/jobs/{failed_job.pk}/retry")
    assert response.status_code == 402
    failed_job.refresh_from_db()
    assert (failed_job.status, failed_job.retry_count) == (J.FAILED, 0)
    assert CreditHold.objects.filter(status="open").count() == 0


def test_staff_retry_of_someone_elses_job_is_audited(failed_job, staff, student):
    services.job_retry(job=failed_job, acting_user=staff)
    audit = AuditLog.objects.get()
    assert (audit.action, audit.actor, audit.before["status"], audit.after["status"]) == (
        "job.retry",
        staff,
        "failed",
        "queued",
    )
    assert CreditHold.objects.get(status="open").account.user == student


# --- statistics ---------------------------------------------------------------------------


def test_stats_are_staff_only(student_client):
    assert student_client.get("/api/v1/jobs/stats").status_code == 403


def test_stats_over_the_last_day(staff_client):
    now = timezone.now()
    film = ProjectFactory()

    def ran(job_type, status, wait, duration, created=None):
        job = JobFactory(project=film, job_type=job_type, status=status)
        started = now - timedelta(minutes=30)
        Job.objects.filter(pk=job.pk).update(
            created_at=created or now - timedelta(hours=1),
            queued_at=started - timedelta(seconds=wait),
            started_at=started,
            finished_at=started + timedelta(seconds=duration),
        )

    ran("script_analysis", J.COMPLETED, wait=10, duration=20)
    ran("script_analysis", J.COMPLETED, wait=30, duration=40)
    ran("thumbnail_generation", J.FAILED, wait=20, duration=6)
    ran("script_analysis", J.COMPLETED, wait=1000, duration=1000, created=now - timedelta(days=2))
    JobFactory(project=film, priority=3)
    JobFactory(project=film, priority=3)
    JobFactory(project=film, priority=1)

    response = staff_client.get("/api/v1/jobs/stats")

    assert response.status_code == 200
    body = response.json()
    assert body["by_status"] == [
        {"status": "queued", "count": 3, "average_duration_seconds": None},
        {"status": "completed", "count": 2, "average_duration_seconds": 30.0},
        {"status": "failed", "count": 1, "average_duration_seconds": 6.0},
    ]
    assert body["by_type"] == [
        {"job_type": "script_analysis", "count": 5, "average_duration_seconds": 30.0},
        {"job_type": "thumbnail_generation", "count": 1, "average_duration_seconds": 6.0},
    ]
    assert body["queue_depth"] == {"high": 2, "normal": 0, "low": 1}
    assert body["average_wait_seconds"] == 20.0
    assert body["failure_rate"] == pytest.approx(1 / 3, abs=1e-4)


@pytest.mark.parametrize("jobs", [2, 40])
def test_stats_take_a_fixed_number_of_queries(staff_client, jobs, django_assert_num_queries):
    film = ProjectFactory()
    for index in range(jobs):
        JobFactory(project=film, status=[J.QUEUED, J.COMPLETED, J.FAILED][index % 3])
    # user (JWT), jobs grouped by status and type, queued jobs counted by priority
    with django_assert_num_queries(3):
        response = staff_client.get("/api/v1/jobs/stats")
    assert sum(group["count"] for group in response.json()["by_status"]) == jobs


def test_staff_cancel_is_audited_and_credits_return_to_the_owner(staff, student, project):
    give_credits(student, 2)
    job = services.job_create(user=student, project_id=project.pk, job_type="script_analysis")
    services.job_cancel(job=job, acting_user=staff)
    assert AuditLog.objects.get().action == "job.cancel"
    assert balance(student) == {"allowance": 3, "purchased": 2, "held": 0}
