"""
A GIN index for full-text search on PostgreSQL only.

It is not declared in ``Task.Meta.indexes`` because SQLite cannot build it; this migration
adds it where the database is PostgreSQL and does nothing elsewhere. The expression must stay
identical to ``tasks.filters.search_vector()`` for the planner to use it.
"""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import migrations

INDEX = GinIndex(SearchVector("title", "description", config="english"), name="task_search")


def add_search_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.add_index(apps.get_model("tasks", "Task"), INDEX)


def remove_search_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.remove_index(apps.get_model("tasks", "Task"), INDEX)


class Migration(migrations.Migration):
    dependencies = [("tasks", "0001_initial")]

    operations = [migrations.RunPython(add_search_index, remove_search_index, elidable=False)]
