"""
Names, titles, tags, descriptions and comments without invisible or text-direction characters
(``project.text``), also those written before: a bidi override planted in an old title would
otherwise still reverse the page around it. A value that would become empty, or a tag name that
would then clash with another tag of its project, is left as it was.
"""

from django.db import migrations
from django.db.models.functions import Lower

import project.text
from project.text import clean_multiline, clean_single_line

TEXTS = {
    "Project": {"name": clean_single_line, "description": clean_multiline},
    "Task": {"title": clean_single_line, "description": clean_multiline},
    "Comment": {"body": clean_multiline},
    "Activity": {"task_title": clean_single_line},
}
MAY_BE_EMPTY = {"description"}


def clean_existing_texts(apps, schema_editor):
    for model_name, cleaners in TEXTS.items():
        model = apps.get_model("tasks", model_name)
        rows = model.objects.values_list("pk", *cleaners).iterator(chunk_size=2000)
        for pk, *values in rows:
            changed = {}
            for (field, clean), value in zip(cleaners.items(), values, strict=True):
                cleaned = clean(value)
                if cleaned != value and (cleaned or field in MAY_BE_EMPTY):
                    changed[field] = cleaned
            if changed:
                model.objects.filter(pk=pk).update(**changed)
    tag_model = apps.get_model("tasks", "Tag")
    for pk, project_id, name in tag_model.objects.values_list("pk", "project_id", "name"):
        cleaned = clean_single_line(name)
        if cleaned == name or not cleaned:
            continue
        siblings = tag_model.objects.alias(lower_name=Lower("name")).exclude(pk=pk)
        if not siblings.filter(project_id=project_id, lower_name=cleaned.lower()).exists():
            tag_model.objects.filter(pk=pk).update(name=cleaned)


class Migration(migrations.Migration):
    dependencies = [
        ("tasks", "0005_task_position_unique_per_column"),
    ]

    operations = [
        migrations.AlterField(
            model_name="comment",
            name="body",
            field=project.text.MultiLineTextField(),
        ),
        migrations.AlterField(
            model_name="project",
            name="description",
            field=project.text.MultiLineTextField(blank=True),
        ),
        migrations.AlterField(
            model_name="project",
            name="name",
            field=project.text.SingleLineCharField(max_length=100),
        ),
        migrations.AlterField(
            model_name="tag",
            name="name",
            field=project.text.SingleLineCharField(max_length=50),
        ),
        migrations.AlterField(
            model_name="task",
            name="description",
            field=project.text.MultiLineTextField(blank=True),
        ),
        migrations.AlterField(
            model_name="task",
            name="title",
            field=project.text.SingleLineCharField(max_length=200),
        ),
        migrations.RunPython(clean_existing_texts, migrations.RunPython.noop, elidable=True),
    ]
