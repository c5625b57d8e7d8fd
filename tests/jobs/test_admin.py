import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import AuditLog
from credits import services as credits_services
from jobs import processors, services
from jobs.models import Job, Project
from tests.accounts.factories import AdminFactory, StudentFactory
from tests.jobs.factories import JobFactory, ProjectFactory
from tests.jobs.helpers import failing

pytestmark = pytest.mark.django_db

P = Project.Status


@pytest.fixture
def superuser():
    return AdminFactory(is_superuser=True)


@pytest.fixture
def admin_client(superuser) -> Client:
    client = Client()
    client.force_login(superuser)
    return client


def act(admin_client, url, action, objects, **fields):
    data = {"action": action, "_selected_action": [o.pk for o in objects], "index": 0, **fields}
    response = admin_client.post(url, data, follow=True)
    assert response.status_code == 200
    return [str(message) for message in response.context["messages"]]


def test_moderation_queue_lists_pending_projects_oldest_first(admin_client):
    newer = ProjectFactory(status=P.PENDING_REVIEW, submitted_at=timezone.now())
    older = ProjectFactory(
        status=P.PENDING_REVIEW, submitted_at=timezone.now() - timezone.timedelta(days=1)
    )
    ProjectFactory(status=P.DRAFT)
    response = admin_client.get("/admin/jobs/pendingproject/")
    assert response.status_code == 200
    assert [p.pk for p in response.context["cl"].result_list] == [older.pk, newer.pk]


def test_approve_action_queues_generation_and_audits(admin_client, superuser):
    project = ProjectFactory(status=P.PENDING_REVIEW, submitted_at=timezone.now())
    drafted = ProjectFactory(status=P.DRAFT)
    messages = act(
        admin_client,
        "/admin/jobs/pendingproject/",
        "approve_projects",
        [project],
        reason="Fine",
    )
    assert messages == ["Approved 1 project(s)."]
    project.refresh_from_db()
    assert (project.status, project.reviewed_by, project.review_reason) == (
        P.QUEUED,
        superuser,
        "Fine",
    )
    assert Job.objects.get().job_type == "full_generation"
    audit = AuditLog.objects.get()
    assert (audit.action, audit.actor, audit.before["status"], audit.after["status"]) == (
        "project.approve",
        superuser,
        "pending_review",
        "queued",
    )
    # approving a draft from the projects list is refused per project
    messages = act(admin_client, "/admin/jobs/project/", "approve_projects", [drafted])
    assert messages == [
        f"{drafted.title}: A draft project cannot become queued.",
        "Approved 0 project(s).",
    ]


def test_reject_action_needs_a_reason_and_audits(admin_client, superuser):
    project = ProjectFactory(status=P.PENDING_REVIEW, submitted_at=timezone.now())
    assert act(admin_client, "/admin/jobs/pendingproject/", "reject_projects", [project]) == [
        "A reason is required to reject."
    ]
    project.refresh_from_db()
    assert project.status == P.PENDING_REVIEW
    messages = act(
        admin_client,
        "/admin/jobs/pendingproject/",
        "reject_projects",
        [project],
        reason="Too violent",
    )
    assert messages == ["Rejected 1 project(s)."]
    project.refresh_from_db()
    assert (project.status, project.review_reason) == (P.DRAFT, "Too violent")
    assert AuditLog.objects.get().reason == "Too violent"


def test_restore_action(admin_client, superuser):
    project = ProjectFactory(deleted_at=timezone.now())
    messages = act(
        admin_client, "/admin/jobs/project/", "restore_projects", [project], reason="Mistake"
    )
    assert messages == ["Restored 1 project(s)."]
    project.refresh_from_db()
    assert project.deleted_at is None
    assert AuditLog.objects.get().action == "project.restore"


def test_failed_jobs_show_their_error_and_retry(admin_client, superuser, monkeypatch):
    owner = StudentFactory()
    project = ProjectFactory(owner=owner)
    job = services.job_create(user=owner, project_id=project.pk, job_type="script_analysis")
    monkeypatch.setitem(processors.PROCESSORS, "script_analysis", failing("Provider said no."))
    services.job_run(job_id=job.pk)
    JobFactory(status=Job.Status.COMPLETED)
    response = admin_client.get("/admin/jobs/failedjob/")
    assert [j.pk for j in response.context["cl"].result_list] == [job.pk]
    assert "Provider said no." in response.content.decode()

    messages = act(admin_client, "/admin/jobs/failedjob/", "retry_jobs", [job])

    assert messages == ["Retried 1 job(s)."]
    job.refresh_from_db()
    assert (job.status, job.retry_count, job.credit_hold.status) == ("queued", 1, "open")
    assert job.credit_hold.account.user == owner
    audit = AuditLog.objects.get()
    assert (audit.action, audit.actor) == ("job.retry", superuser)


def test_system_statistics_page(admin_client, superuser):
    student = StudentFactory()
    StudentFactory(is_active=False)
    credits_services.add_credits(
        user=student, amount=5, kind="grant", acting_user=superuser, idempotency_key="g1"
    )
    credits_services.add_credits(user=student, amount=7, idempotency_key="p1")
    credits_services.deduct_credits(user=student, amount=2, idempotency_key="u1")
    JobFactory(status=Job.Status.FAILED)
    JobFactory(status=Job.Status.COMPLETED)
    JobFactory(status=Job.Status.COMPLETED)

    response = admin_client.get("/admin/jobs/job/system-stats/")

    assert response.status_code == 200
    context = response.context
    # the superuser, the two students and the three job owners
    assert context["users"] == {"total": 6, "active": 5, "joined_this_month": 6}
    assert context["jobs_by_status"] == {
        "queued": 0,
        "processing": 0,
        "completed": 2,
        "failed": 1,
        "cancelled": 0,
    }
    credits = context["credits"]
    assert (credits.granted, credits.purchased, credits.spent) == (5, 7, 2)
    assert 'id="credits-spent">2<' in response.content.decode()
    changelist = admin_client.get("/admin/jobs/job/").content.decode()
    assert "/admin/jobs/job/system-stats/" in changelist


def test_system_statistics_need_staff(client):
    client.force_login(StudentFactory())
    response = client.get("/admin/jobs/job/system-stats/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_projects_are_read_only_in_admin(admin_client):
    project = ProjectFactory(title="Original")
    response = admin_client.post(
        f"/admin/jobs/project/{project.pk}/change/", {"title": "Edited", "status": "published"}
    )
    assert response.status_code == 302
    project.refresh_from_db()
    assert (project.title, project.status) == ("Original", P.DRAFT)
    page = admin_client.get(f"/admin/jobs/pendingproject/{project.pk}/change/")
    assert page.status_code == 302  # not pending: not in the queue
