import pytest
from django.conf import settings
from django_celery_beat.models import PeriodicTask
from django_celery_beat.schedulers import ModelEntry

from config.celery import app
from credits import services

pytestmark = pytest.mark.django_db


def test_monthly_reset_is_in_beat_admin_after_migrate():
    task = PeriodicTask.objects.get(name="credits-monthly-reset")

    assert task.task == "credits.tasks.reset_monthly_credits"
    assert task.enabled
    crontab = task.crontab
    assert (
        crontab.minute,
        crontab.hour,
        crontab.day_of_month,
        crontab.month_of_year,
        crontab.day_of_week,
    ) == ("0", "0", "1", "*", "*")
    assert str(crontab.timezone) == settings.TIME_ZONE


def test_beat_adopts_the_row_instead_of_adding_another():
    created = PeriodicTask.objects.get(name="credits-monthly-reset")

    entry = settings.CELERY_BEAT_SCHEDULE["credits-monthly-reset"]
    ModelEntry.from_entry("credits-monthly-reset", app=app, **entry)

    synced = PeriodicTask.objects.get(name="credits-monthly-reset")
    assert synced.pk == created.pk
    assert synced.crontab_id == created.crontab_id


def test_ensuring_again_leaves_admin_edits_alone():
    PeriodicTask.objects.filter(name="credits-monthly-reset").update(enabled=False)

    services.beat_schedule_ensure()

    assert PeriodicTask.objects.filter(name="credits-monthly-reset").count() == 1
    assert not PeriodicTask.objects.get(name="credits-monthly-reset").enabled


def test_deleted_row_comes_back():
    PeriodicTask.objects.filter(name="credits-monthly-reset").delete()
    services.beat_schedule_ensure()
    assert PeriodicTask.objects.filter(name="credits-monthly-reset").count() == 1
