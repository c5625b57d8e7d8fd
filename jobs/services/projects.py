"""Projects: the owner's writes (create, edit, delete, submit) and staff moderation
(approve, reject, restore). Every staff action writes an audit record in its transaction,
with the project's state before and after."""

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.services import audit_record
from config.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from jobs import parameters as job_parameters
from jobs.models import Job, Project
from jobs.services.jobs import job_create_for_project, job_priority_resolve
from jobs.states import PROJECT_BUSY, PROJECT_EDITABLE, check_project_transition

P = Project.Status
PROJECT_UPDATABLE_FIELDS = frozenset({"title", "script", "style", "target_duration"})


def _snapshot(project: Project) -> dict[str, Any]:
    return {
        "status": project.status,
        "review_decision": project.review_decision,
        "review_reason": project.review_reason,
        "reviewed_by": project.reviewed_by_id,
        "deleted_at": project.deleted_at.isoformat() if project.deleted_at else None,
    }


def _full_clean(project: Project) -> None:
    try:
        project.full_clean(exclude=["owner", "reviewed_by"])
    except DjangoValidationError as exc:
        errors = {name: [str(m) for m in messages] for name, messages in exc.message_dict.items()}
        raise ValidationFailed(
            "Invalid input: " + ", ".join(sorted(errors)) + ".", errors=errors
        ) from exc


def _require_staff(acting_user: User) -> None:
    if not acting_user.is_staff:
        raise PermissionDenied("Staff only.")


def project_lock(*, project_id: int, include_deleted: bool = False) -> Project:
    """Lock a project row for the rest of the transaction (404 when missing or deleted)."""
    projects = Project.objects.select_for_update()
    if not include_deleted:
        projects = projects.filter(deleted_at__isnull=True)
    project = projects.filter(pk=project_id).first()
    if project is None:
        raise NotFound("Project not found.")
    return project


def _transition(project: Project, target: str) -> None:
    check_project_transition(project.status, target)
    project.status = target


@transaction.atomic
def project_create(
    *,
    owner: User,
    title: str,
    script: str = "",
    style: str = Project.Style.CINEMATIC,
    target_duration: int = 60,
) -> Project:
    project = Project(
        owner=owner, title=title, script=script, style=style, target_duration=target_duration
    )
    _full_clean(project)
    project.save()
    return project


@transaction.atomic
def project_update(*, project: Project, acting_user: User, data: dict[str, Any]) -> Project:
    """Edit a project; only while it is a draft or failed (else 409 `project_not_editable`)."""
    unknown = set(data) - PROJECT_UPDATABLE_FIELDS
    if unknown:
        raise ValidationFailed(
            "Invalid input: " + ", ".join(sorted(unknown)) + ".",
            errors={name: ["This field cannot be changed."] for name in sorted(unknown)},
        )
    project = project_lock(project_id=project.pk)
    if project.owner_id != acting_user.pk:
        raise NotFound("Project not found.")
    if project.status not in PROJECT_EDITABLE:
        raise Conflict(
            f"A {project.status} project cannot be edited.",
            code="project_not_editable",
            current_status=project.status,
        )
    for name, value in data.items():
        setattr(project, name, value)
    _full_clean(project)
    project.save()
    return project


@transaction.atomic
def project_delete(*, project: Project, acting_user: User) -> None:
    """Soft delete: the project disappears from lists and lookups; staff can restore it.
    Refused (409 `project_busy`) while its generation is queued or running."""
    project = project_lock(project_id=project.pk)
    if project.owner_id != acting_user.pk:
        raise NotFound("Project not found.")
    if project.status in PROJECT_BUSY:
        raise Conflict(
            f"A {project.status} project cannot be deleted; cancel its generation first.",
            code="project_busy",
            current_status=project.status,
        )
    project.deleted_at = timezone.now()
    project.save(update_fields=["deleted_at", "updated_at"])


@transaction.atomic
def project_submit(*, project: Project, acting_user: User) -> Project:
    """Send a draft (or a failed project, after edits) to moderation. The previous
    decision is cleared: only a decision on this submission counts."""
    project = project_lock(project_id=project.pk)
    if project.owner_id != acting_user.pk:
        raise NotFound("Project not found.")
    if not project.script.strip():
        raise ValidationFailed(
            "Invalid input: script.", errors={"script": ["Write the script before submitting."]}
        )
    _transition(project, P.PENDING_REVIEW)
    project.submitted_at = timezone.now()
    project.review_decision = ""
    project.review_reason = ""
    project.reviewed_by = None
    project.reviewed_at = None
    project.save()
    return project


@transaction.atomic
def project_approve(
    *,
    project: Project,
    acting_user: User,
    reason: str = "",
    priority: int | None = None,
    parameters: dict[str, Any] | None = None,
) -> tuple[Project, Job]:
    """Staff approve a pending project: it is queued and its full_generation job created,
    paid with the owner's credits (402 and nothing changes when they are short), at the
    owner's tier priority unless staff choose another."""
    _require_staff(acting_user)
    project = project_lock(project_id=project.pk)
    before = _snapshot(project)
    _transition(project, P.QUEUED)
    owner = project.owner
    clean = job_parameters.validate_parameters(Job.Type.FULL_GENERATION, parameters)
    resolved = job_priority_resolve(owner=owner, acting_user=acting_user, requested=priority)
    project.review_decision = Project.Decision.APPROVED
    project.review_reason = reason
    project.reviewed_by = acting_user
    project.reviewed_at = timezone.now()
    project.save()
    job = job_create_for_project(
        project=project,
        owner=owner,
        job_type=Job.Type.FULL_GENERATION,
        parameters=clean,
        priority=resolved,
    )
    audit_record(
        actor=acting_user,
        action="project.approve",
        target=project,
        reason=reason,
        before=before,
        after={**_snapshot(project), "job": job.pk},
    )
    return project, job


@transaction.atomic
def project_reject(*, project: Project, acting_user: User, reason: str) -> Project:
    """Staff reject a pending project, with a reason; it goes back to the owner as a draft."""
    _require_staff(acting_user)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(
            "Invalid input: reason.", errors={"reason": ["A reason is required to reject."]}
        )
    project = project_lock(project_id=project.pk)
    before = _snapshot(project)
    _transition(project, P.DRAFT)
    project.review_decision = Project.Decision.REJECTED
    project.review_reason = reason
    project.reviewed_by = acting_user
    project.reviewed_at = timezone.now()
    project.save()
    audit_record(
        actor=acting_user,
        action="project.reject",
        target=project,
        reason=reason,
        before=before,
        after=_snapshot(project),
    )
    return project


@transaction.atomic
def project_restore(*, project: Project, acting_user: User, reason: str = "") -> Project:
    """Staff bring back a deleted project as it was (409 `project_not_deleted` otherwise;
    409 `owner_deleted` when it went with its owner's closed account)."""
    _require_staff(acting_user)
    project = project_lock(project_id=project.pk, include_deleted=True)
    if project.deleted_at is None:
        raise Conflict("The project is not deleted.", code="project_not_deleted")
    if project.owner.deleted_at is not None:
        raise Conflict("The project's owner closed their account.", code="owner_deleted")
    before = _snapshot(project)
    project.deleted_at = None
    project.save(update_fields=["deleted_at", "updated_at"])
    audit_record(
        actor=acting_user,
        action="project.restore",
        target=project,
        reason=reason,
        before=before,
        after=_snapshot(project),
    )
    return project
