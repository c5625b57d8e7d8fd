import pytest
from django.utils import timezone

from accounts.models import AuditLog, User
from credits.models import CreditHold
from jobs.models import Job, Project
from tests.accounts.factories import StudentFactory
from tests.conftest import client_for
from tests.jobs.factories import SCRIPT, ProjectFactory

pytestmark = pytest.mark.django_db

P = Project.Status


def ids(response):
    return [item["id"] for item in response.json()["results"]]


def state(project):
    project.refresh_from_db()
    return {field.name: getattr(project, field.name) for field in Project._meta.fields}


# --- owner CRUD ---------------------------------------------------------------------------


def test_create_returns_the_draft(student_client, student):
    response = student_client.post(
        "/api/v1/projects",
        {"title": "Night walk", "script": SCRIPT, "style": "anime", "target_duration": 90},
    )
    assert response.status_code == 201
    project = Project.objects.get()
    body = response.json()
    assert body == {
        "id": project.pk,
        "title": "Night walk",
        "script": SCRIPT,
        "style": "anime",
        "target_duration": 90,
        "status": "draft",
        "submitted_at": None,
        "review_decision": "",
        "review_reason": "",
        "reviewed_at": None,
        "created_at": body["created_at"],
        "updated_at": body["updated_at"],
    }
    assert project.owner == student


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "title"),
        ({"title": "x", "style": "noir"}, "style"),
        ({"title": "x", "target_duration": 0}, "target_duration"),
        ({"title": "x", "target_duration": 4 * 3600 + 1}, "target_duration"),
    ],
)
def test_create_bad_input_is_400_and_creates_nothing(student_client, payload, field):
    response = student_client.post("/api/v1/projects", payload)
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not Project.objects.exists()


def test_list_shows_only_own_undeleted_projects_with_status_filter(student_client, student):
    draft = ProjectFactory(owner=student)
    failed = ProjectFactory(owner=student, status=P.FAILED)
    ProjectFactory(owner=student, deleted_at=timezone.now())
    ProjectFactory()  # someone else's
    assert ids(student_client.get("/api/v1/projects")) == [failed.pk, draft.pk]
    assert ids(student_client.get("/api/v1/projects?status=failed")) == [failed.pk]
    bad = student_client.get("/api/v1/projects?status=lost")
    assert bad.status_code == 400


@pytest.mark.parametrize("page_size", [2, 20])
def test_list_query_count_does_not_grow_with_the_page(
    student_client, student, page_size, django_assert_num_queries
):
    ProjectFactory.create_batch(25, owner=student)
    # user (JWT), count, page
    with django_assert_num_queries(3):
        response = student_client.get(f"/api/v1/projects?page_size={page_size}")
    assert response.status_code == 200
    assert len(response.json()["results"]) == page_size


@pytest.mark.parametrize(
    ("method", "suffix", "data"),
    [
        ("get", "", None),
        ("patch", "", {"title": "Mine now"}),
        ("delete", "", None),
        ("post", "/submit", None),
    ],
)
def test_someone_elses_project_is_404_and_unchanged(other_student_client, method, suffix, data):
    project = ProjectFactory()
    before = state(project)
    response = getattr(other_student_client, method)(f"/api/v1/projects/{project.pk}{suffix}", data)
    assert response.status_code == 404
    assert state(project) == before


def test_staff_cannot_read_a_creators_project_through_the_owner_endpoints(staff_client):
    project = ProjectFactory()
    assert staff_client.get(f"/api/v1/projects/{project.pk}").status_code == 404


@pytest.mark.parametrize("status", [P.DRAFT, P.FAILED])
def test_edit_in_draft_or_failed(student_client, student, status):
    project = ProjectFactory(owner=student, status=status)
    response = student_client.patch(
        f"/api/v1/projects/{project.pk}", {"title": "New title", "target_duration": 120}
    )
    assert response.status_code == 200
    assert response.json()["title"] == "New title"
    project.refresh_from_db()
    assert (project.title, project.target_duration) == ("New title", 120)


@pytest.mark.parametrize(
    "status", [P.PENDING_REVIEW, P.QUEUED, P.GENERATING, P.COMPLETED, P.PUBLISHED]
)
def test_edit_elsewhere_is_409_and_unchanged(student_client, student, status):
    project = ProjectFactory(owner=student, status=status)
    before = state(project)
    response = student_client.patch(f"/api/v1/projects/{project.pk}", {"title": "Changed"})
    assert response.status_code == 409
    assert response.json()["code"] == "project_not_editable"
    assert state(project) == before


def test_delete_is_soft_and_hides_the_project(student_client, student):
    project = ProjectFactory(owner=student)
    response = student_client.delete(f"/api/v1/projects/{project.pk}")
    assert response.status_code == 204
    project.refresh_from_db()
    assert project.deleted_at is not None
    assert student_client.get(f"/api/v1/projects/{project.pk}").status_code == 404
    assert ids(student_client.get("/api/v1/projects")) == []
    assert student_client.delete(f"/api/v1/projects/{project.pk}").status_code == 404


@pytest.mark.parametrize("status", [P.QUEUED, P.GENERATING])
def test_delete_while_generating_is_409(student_client, student, status):
    project = ProjectFactory(owner=student, status=status)
    response = student_client.delete(f"/api/v1/projects/{project.pk}")
    assert response.status_code == 409
    assert response.json()["code"] == "project_busy"
    project.refresh_from_db()
    assert project.deleted_at is None


# --- submission and moderation ------------------------------------------------------------


def test_submit_sends_a_draft_to_review(student_client, student):
    project = ProjectFactory(owner=student)
    response = student_client.post(f"/api/v1/projects/{project.pk}/submit")
    assert response.status_code == 200
    assert response.json()["status"] == "pending_review"
    project.refresh_from_db()
    assert project.status == P.PENDING_REVIEW
    assert project.submitted_at is not None


def test_submit_without_a_script_is_400(student_client, student):
    project = ProjectFactory(owner=student, script="  ")
    response = student_client.post(f"/api/v1/projects/{project.pk}/submit")
    assert response.status_code == 400
    assert "script" in response.json()["errors"]
    project.refresh_from_db()
    assert project.status == P.DRAFT


@pytest.mark.parametrize("status", [P.PENDING_REVIEW, P.QUEUED, P.COMPLETED, P.PUBLISHED])
def test_submit_from_another_status_is_an_illegal_transition(student_client, student, status):
    project = ProjectFactory(owner=student, status=status)
    response = student_client.post(f"/api/v1/projects/{project.pk}/submit")
    assert response.status_code == 409
    assert response.json() == {
        "status_code": 409,
        "code": "illegal_transition",
        "message": f"A {status} project cannot become pending_review.",
        "current_status": status,
        "target_status": "pending_review",
    }
    project.refresh_from_db()
    assert project.status == status


def test_moderation_queue_lists_pending_projects_oldest_first(staff_client):
    later = ProjectFactory(status=P.PENDING_REVIEW, submitted_at=timezone.now())
    earlier = ProjectFactory(
        status=P.PENDING_REVIEW, submitted_at=timezone.now() - timezone.timedelta(hours=1)
    )
    ProjectFactory(status=P.PENDING_REVIEW, submitted_at=timezone.now(), deleted_at=timezone.now())
    ProjectFactory(status=P.DRAFT)
    response = staff_client.get("/api/v1/projects/moderation-queue")
    assert response.status_code == 200
    assert ids(response) == [earlier.pk, later.pk]
    first = response.json()["results"][0]
    assert first["owner"] == {
        "id": earlier.owner.pk,
        "email": earlier.owner.email,
        "username": earlier.owner.username,
        "tier": "free",
    }


@pytest.mark.parametrize("page_size", [2, 20])
def test_moderation_queue_query_count(staff_client, page_size, django_assert_num_queries):
    for _ in range(25):
        ProjectFactory(status=P.PENDING_REVIEW, submitted_at=timezone.now())
    # user (JWT), count, page with owners joined
    with django_assert_num_queries(3):
        response = staff_client.get(f"/api/v1/projects/moderation-queue?page_size={page_size}")
    assert len(response.json()["results"]) == page_size


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/api/v1/projects/moderation-queue"),
        ("post", "/api/v1/projects/{pk}/approve"),
        ("post", "/api/v1/projects/{pk}/reject"),
        ("post", "/api/v1/projects/{pk}/restore"),
    ],
)
def test_moderation_endpoints_are_staff_only(student_client, student, method, url):
    project = ProjectFactory(owner=student, status=P.PENDING_REVIEW, deleted_at=None)
    before = state(project)
    response = getattr(student_client, method)(url.format(pk=project.pk), {"reason": "mine"})
    assert response.status_code == 403
    assert state(project) == before
    assert not AuditLog.objects.exists()


def test_approve_queues_the_full_generation_paid_by_the_owner(staff_client, staff):
    owner = StudentFactory(tier=User.Tier.PRO)
    project = ProjectFactory(owner=owner, status=P.PENDING_REVIEW, submitted_at=timezone.now())
    response = staff_client.post(f"/api/v1/projects/{project.pk}/approve", {"reason": "Looks good"})
    assert response.status_code == 200
    job = Job.objects.get()
    body = response.json()
    assert body["project"]["status"] == "queued"
    assert body["project"]["review_decision"] == "approved"
    assert body["job"]["id"] == job.pk
    assert (job.user, job.project, job.job_type, job.priority, job.status) == (
        owner,
        project,
        "full_generation",
        Job.Priority.NORMAL,
        "queued",
    )
    assert job.parameters["image_count"] == 4
    hold = CreditHold.objects.get()
    assert (hold.account.user, hold.amount, hold.status) == (owner, 1, "open")
    assert hold.transactions.get().idempotency_key == f"job:{job.pk}:hold"
    project.refresh_from_db()
    assert (project.status, project.reviewed_by, project.review_reason) == (
        P.QUEUED,
        staff,
        "Looks good",
    )
    audit = AuditLog.objects.get()
    assert (audit.actor, audit.action, audit.target_id, audit.reason) == (
        staff,
        "project.approve",
        str(project.pk),
        "Looks good",
    )
    assert audit.before == {
        "status": "pending_review",
        "review_decision": "",
        "review_reason": "",
        "reviewed_by": None,
        "deleted_at": None,
    }
    assert audit.after == {
        "status": "queued",
        "review_decision": "approved",
        "review_reason": "Looks good",
        "reviewed_by": staff.pk,
        "deleted_at": None,
        "job": job.pk,
    }


def test_approve_may_raise_the_priority_because_staff_decide(staff_client):
    project = ProjectFactory(status=P.PENDING_REVIEW)
    response = staff_client.post(f"/api/v1/projects/{project.pk}/approve", {"priority": 3})
    assert response.status_code == 200
    assert Job.objects.get().priority == Job.Priority.HIGH


def test_approve_without_owner_credits_is_402_and_changes_nothing(staff_client, settings):
    settings.JOBS_COST_PER_TYPE = {**settings.JOBS_COST_PER_TYPE, "full_generation": 50}
    project = ProjectFactory(status=P.PENDING_REVIEW)
    before = state(project)
    response = staff_client.post(f"/api/v1/projects/{project.pk}/approve", {})
    assert response.status_code == 402
    assert response.json()["code"] == "insufficient_credits"
    assert (response.json()["required"], response.json()["available"]) == (50, 3)
    assert state(project) == before
    assert not Job.objects.exists()
    assert not CreditHold.objects.exists()
    assert not AuditLog.objects.exists()


def test_approve_a_draft_is_an_illegal_transition(staff_client):
    project = ProjectFactory(status=P.DRAFT)
    response = staff_client.post(f"/api/v1/projects/{project.pk}/approve", {})
    assert response.status_code == 409
    assert response.json()["code"] == "illegal_transition"
    assert not Job.objects.exists()
    assert not AuditLog.objects.exists()


def test_reject_returns_the_project_to_its_owner_with_the_reason(staff_client, staff):
    project = ProjectFactory(status=P.PENDING_REVIEW)
    response = staff_client.post(
        f"/api/v1/projects/{project.pk}/reject", {"reason": "Violence in scene 2"}
    )
    assert response.status_code == 200
    project.refresh_from_db()
    assert (project.status, project.review_decision, project.review_reason) == (
        P.DRAFT,
        "rejected",
        "Violence in scene 2",
    )
    audit = AuditLog.objects.get()
    assert (audit.action, audit.reason, audit.before["status"], audit.after["status"]) == (
        "project.reject",
        "Violence in scene 2",
        "pending_review",
        "draft",
    )
    # the owner sees the reason, edits and submits again; the old decision is cleared
    owner_client = client_for(project.owner)
    assert owner_client.get(f"/api/v1/projects/{project.pk}").json()["review_reason"] == (
        "Violence in scene 2"
    )
    owner_client.patch(f"/api/v1/projects/{project.pk}", {"script": SCRIPT + "\nCalm ending."})
    resubmitted = owner_client.post(f"/api/v1/projects/{project.pk}/submit").json()
    assert (resubmitted["status"], resubmitted["review_decision"]) == ("pending_review", "")


def test_reject_needs_a_reason(staff_client):
    project = ProjectFactory(status=P.PENDING_REVIEW)
    before = state(project)
    response = staff_client.post(f"/api/v1/projects/{project.pk}/reject", {"reason": ""})
    assert response.status_code == 400
    assert state(project) == before
    assert not AuditLog.objects.exists()


def test_staff_restore_brings_a_deleted_project_back(staff_client, staff, student_client, student):
    project = ProjectFactory(owner=student)
    student_client.delete(f"/api/v1/projects/{project.pk}")
    response = staff_client.post(f"/api/v1/projects/{project.pk}/restore", {"reason": "Asked"})
    assert response.status_code == 200
    assert response.json()["deleted_at"] is None
    assert student_client.get(f"/api/v1/projects/{project.pk}").status_code == 200
    audit = AuditLog.objects.get()
    assert (audit.action, audit.actor, audit.reason, audit.after["deleted_at"]) == (
        "project.restore",
        staff,
        "Asked",
        None,
    )
    assert audit.before["deleted_at"] is not None


def test_restore_of_a_project_that_is_not_deleted_is_404(staff_client):
    project = ProjectFactory()
    response = staff_client.post(f"/api/v1/projects/{project.pk}/restore", {})
    assert response.status_code == 404
    assert not AuditLog.objects.exists()
