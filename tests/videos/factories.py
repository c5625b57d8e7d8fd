import factory

from tests.courses.factories import CourseFactory
from videos.models import PlaylistImport, Video


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
