import uuid

import factory
from django.utils import timezone

from credits import services as credits_services
from jobs.models import Job, Project, YouTubeUpload
from tests.accounts.factories import StudentFactory

SCRIPT = """INT. KITCHEN - NIGHT

ALICE
Where were you?

BOB (V.O.)
Out. Walking the dog.

CUT TO:

EXT. PARK - DAY

The dog runs across the grass.

ALICE
He looks happy.
"""


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project

    owner = factory.SubFactory(StudentFactory)
    title = factory.Sequence(lambda n: f"Film {n}")
    script = SCRIPT
    style = Project.Style.CINEMATIC
    target_duration = 60
    status = Project.Status.DRAFT


class JobFactory(factory.django.DjangoModelFactory):
    """A job row without credits (cost 0, no hold): for reads, filters and statistics.
    Tests that move credits create jobs through the services."""

    class Meta:
        model = Job

    project = factory.SubFactory(ProjectFactory)
    user = factory.LazyAttribute(lambda job: job.project.owner)
    job_type = Job.Type.SCRIPT_ANALYSIS
    parameters = factory.LazyFunction(lambda: {"words_per_minute": 150})
    priority = Job.Priority.LOW
    status = Job.Status.QUEUED
    credit_cost = 0
    queued_at = factory.LazyFunction(timezone.now)


class UploadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = YouTubeUpload

    project = factory.SubFactory(ProjectFactory)
    user = factory.LazyAttribute(lambda upload: upload.project.owner)
    title = "My film"


def give_credits(user, amount: int) -> None:
    """Purchased credits, through the ledger (so it stays balanced)."""
    credits_services.add_credits(
        user=user, amount=amount, idempotency_key=f"test:{uuid.uuid4().hex}"
    )
