"""GIN index for course search on PostgreSQL; nothing on other databases.

The indexed expression must be exactly the vector `courses.selectors.course_search`
queries with (config.search.weighted_vector over COURSE_SEARCH_WEIGHTS), or PostgreSQL
will not use it. A test checks the query plan."""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import migrations

INDEX_NAME = "course_search_idx"


def _index() -> GinIndex:
    return GinIndex(
        SearchVector("title", weight="A", config="english")
        + SearchVector("description", weight="B", config="english")
        + SearchVector("context", weight="C", config="english"),
        name=INDEX_NAME,
    )


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.add_index(apps.get_model("courses", "Course"), _index())


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.remove_index(apps.get_model("courses", "Course"), _index())


class Migration(migrations.Migration):
    dependencies = [("courses", "0001_initial")]

    operations = [migrations.RunPython(create_index, drop_index, elidable=False)]
