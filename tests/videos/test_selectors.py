import pytest

from tests.courses.factories import CourseFactory
from tests.videos.factories import VideoFactory
from videos import selectors

pytestmark = pytest.mark.django_db


def test_video_counts_available(django_assert_num_queries):
    first, second, empty = CourseFactory(), CourseFactory(), CourseFactory()
    VideoFactory.create_batch(3, course=first)
    VideoFactory(course=first, is_available=False)
    VideoFactory(course=second)
    VideoFactory()  # a course not asked about
    with django_assert_num_queries(1):
        counts = selectors.video_counts_available(course_ids=[first.pk, second.pk, empty.pk])
    assert counts == {first.pk: 3, second.pk: 1}
