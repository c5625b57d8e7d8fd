"""Django admin in a real browser (Playwright driving Debian's Chromium): a staff member
logs in, grants credits through the user action with a reason, and approves a project from
the moderation queue. Screenshots land in var/browser/ as CI artifacts.

The database is prepared and checked outside the browser session: Playwright's sync API
runs an event loop, and Django refuses ORM calls from a thread that has one."""

import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from accounts.models import AuditLog
from credits import services as credits_services
from credits.models import CreditTransaction
from jobs.models import Job, Project
from tests.accounts.factories import PASSWORD, AdminFactory, StudentFactory
from tests.credits.helpers import assert_ledger_balanced
from tests.jobs.factories import ProjectFactory

playwright_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium"),
    pytest.mark.django_db(transaction=True),
]
SHOTS = Path(settings.VAR_DIR) / "browser"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def test_staff_grants_credits_and_approves_a_project(live_server):
    staff = AdminFactory(is_superuser=True, email="staff@example.com")
    student = StudentFactory(email="learner@example.com")
    project = ProjectFactory(
        owner=student, status=Project.Status.PENDING_REVIEW, submitted_at=timezone.now()
    )
    before = credits_services.get_balance(user=student)
    SHOTS.mkdir(parents=True, exist_ok=True)

    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.goto(f"{live_server.url}/admin/login/")
        page.fill("#id_username", staff.email)
        page.fill("#id_password", PASSWORD)
        page.click("input[type=submit]")
        page.wait_for_selector("#site-name")
        page.screenshot(path=str(SHOTS / "1-logged-in.png"))

        page.goto(f"{live_server.url}/admin/accounts/user/?q=learner%40example.com")
        page.check(f"input[name=_selected_action][value='{student.pk}']")
        page.select_option("select[name=action]", "grant_credits")
        page.fill("input[name=amount]", "25")
        page.fill("input[name=reason]", "Scholarship")
        page.screenshot(path=str(SHOTS / "2-grant-form.png"))
        page.click("button[name=index]")
        grant_message = page.inner_text("ul.messagelist")
        page.screenshot(path=str(SHOTS / "3-granted.png"))

        page.goto(f"{live_server.url}/admin/jobs/pendingproject/")
        page.check(f"input[name=_selected_action][value='{project.pk}']")
        page.select_option("select[name=action]", "approve_projects")
        page.fill("input[name=reason]", "Looks good")
        page.click("button[name=index]")
        approve_message = page.inner_text("ul.messagelist")
        page.screenshot(path=str(SHOTS / "4-approved.png"))
        browser.close()

    assert "Granted 25 credit(s) to 1 user(s)." in grant_message
    assert "Approved 1 project(s)." in approve_message
    grant = CreditTransaction.objects.get(account__user=student, kind="grant")
    assert (grant.purchased_delta, grant.reason, grant.created_by) == (25, "Scholarship", staff)
    assert credits_services.get_balance(user=student).purchased == before.purchased + 25
    project.refresh_from_db()
    assert (project.review_decision, project.reviewed_by, project.review_reason) == (
        "approved",
        staff,
        "Looks good",
    )
    assert Job.objects.filter(project=project, job_type="full_generation").count() == 1
    assert set(AuditLog.objects.filter(actor=staff).values_list("action", flat=True)) == {
        "credits.grant",
        "project.approve",
    }
    assert_ledger_balanced()
    assert sorted(path.name for path in SHOTS.glob("*.png")) == [
        "1-logged-in.png",
        "2-grant-form.png",
        "3-granted.png",
        "4-approved.png",
    ]
