"""The state machines, pinned: exactly these moves are legal; every other is a 409."""

import itertools

import pytest

from config.errors import Conflict
from jobs.models import Job, Project, YouTubeUpload
from jobs.states import check_job_transition, check_project_transition, check_upload_transition

PROJECT_MOVES = {
    ("draft", "pending_review"),
    ("pending_review", "queued"),
    ("pending_review", "draft"),
    ("queued", "generating"),
    ("queued", "failed"),
    ("generating", "completed"),
    ("generating", "failed"),
    ("completed", "published"),
    ("failed", "pending_review"),
    ("failed", "queued"),
}
JOB_MOVES = {
    ("queued", "processing"),
    ("queued", "cancelled"),
    ("processing", "completed"),
    ("processing", "failed"),
    ("processing", "cancelled"),
    ("processing", "queued"),
    ("failed", "queued"),
}
UPLOAD_MOVES = {
    ("queued", "uploading"),
    ("queued", "failed"),
    ("uploading", "completed"),
    ("uploading", "failed"),
}


def pairs(statuses, moves, check, legal):
    return [
        pytest.param(check, current, target, id=f"{current}->{target}")
        for current, target in itertools.product(statuses, repeat=2)
        if ((current, target) in moves) == legal
    ]


def all_pairs(legal):
    return (
        pairs(Project.Status.values, PROJECT_MOVES, check_project_transition, legal)
        + pairs(Job.Status.values, JOB_MOVES, check_job_transition, legal)
        + pairs(YouTubeUpload.Status.values, UPLOAD_MOVES, check_upload_transition, legal)
    )


@pytest.mark.parametrize(("check", "current", "target"), all_pairs(legal=True))
def test_legal_moves_pass(check, current, target):
    assert check(current, target) is None


@pytest.mark.parametrize(("check", "current", "target"), all_pairs(legal=False))
def test_every_other_move_is_a_409(check, current, target):
    with pytest.raises(Conflict) as raised:
        check(current, target)
    assert raised.value.status_code == 409
    assert raised.value.code == "illegal_transition"
    assert raised.value.extra == {"current_status": current, "target_status": target}
