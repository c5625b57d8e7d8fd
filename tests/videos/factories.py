import factory
from django.utils import timezone

from tests.courses.factories import CourseFactory, QuestionFactory
from videos.models import PlaylistImport, QuestionVideo, Topic, Video


class VideoFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Video

    course = factory.SubFactory(CourseFactory)
    youtube_id = factory.Sequence(lambda n: f"vid{n:08d}")
    title = factory.Sequence(lambda n: f"Video {n}")
    duration_seconds = 600
    position = factory.Sequence(lambda n: n)


class PlaylistImportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PlaylistImport

    playlist_id = "PLdjango4beginnersXq8Zr2Lk5Tn0Wv7"


class TopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Topic

    name = factory.Sequence(lambda n: f"topic {n}")


class QuestionVideoFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = QuestionVideo

    question = factory.SubFactory(QuestionFactory)
    rank = 1
    source = QuestionVideo.Source.YOUTUBE
    youtube_id = factory.Sequence(lambda n: f"yt{n:09d}")
    title = factory.Sequence(lambda n: f"Recommended {n}")
    score = 0.5
    reason = "On YouTube: covers a topic."
    refreshed_at = factory.LazyFunction(timezone.now)
