import pytest

from accounts.models import AuditLog
from courses.models import Course, LMSSync
from tests.accounts.factories import AdminFactory
from tests.courses.factories import (
    CourseFactory,
    EnrollmentFactory,
    QuestionFactory,
    StudentAnswerFactory,
)
from tests.videos.factories import PlaylistImportFactory, QuestionVideoFactory, VideoFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(AdminFactory(is_superuser=True))
    return client


def test_course_page_shows_videos_and_enrollments_inline(admin_client):
    course = CourseFactory()
    VideoFactory(course=course, title="Inline lesson")
    enrollment = EnrollmentFactory(course=course)
    response = admin_client.get(f"/admin/courses/course/{course.pk}/change/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Inline lesson" in page
    assert f'value="{enrollment.user_id}"' in page


def test_archive_action_goes_through_the_service(admin_client):
    course = CourseFactory()
    response = admin_client.post(
        "/admin/courses/course/",
        {"action": "archive_courses", "_selected_action": [course.pk]},
        follow=True,
    )
    assert response.status_code == 200
    course.refresh_from_db()
    assert course.status == Course.Status.ARCHIVED
    assert AuditLog.objects.filter(action="course.update", target_id=str(course.pk)).exists()


def test_playlist_imports_list_status_and_error(admin_client):
    PlaylistImportFactory(status="failed", error="The playlist is private.")
    response = admin_client.get("/admin/videos/playlistimport/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "The playlist is private." in page
    assert "Failed" in page


def test_quiz_results_and_recommendations_are_shown_in_admin(admin_client):
    question = QuestionFactory(text="What is the chain rule for?")
    StudentAnswerFactory(question=question)
    LMSSync.objects.create(course=question.quiz.course)
    QuestionVideoFactory(question=question, title="Chain rule explained")

    quiz_page = admin_client.get(f"/admin/courses/quiz/{question.quiz_id}/change/")
    assert quiz_page.status_code == 200
    assert "What is the chain rule for?" in quiz_page.content.decode()
    for path in [
        "/admin/courses/studentanswer/",
        "/admin/courses/lmssync/",
        "/admin/videos/topic/",
    ]:
        assert admin_client.get(path).status_code == 200
    recommendations = admin_client.get("/admin/videos/questionvideo/")
    assert "Chain rule explained" in recommendations.content.decode()
