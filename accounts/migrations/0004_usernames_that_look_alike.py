"""
Usernames unique ignoring case and look-alikes (``accounts.validators``), and display names and
token names without invisible characters (``project.text``), existing ones included.

Existing accounts get their look-alike key. Two existing accounts that already look alike (or
differ only in case) both keep working: the later one's key is marked with its id, which keeps
it out of both unique indexes, while the earlier one's plain key still refuses new look-alikes.
"""

import django.db.models.functions.text
from django.db import migrations, models

import accounts.models
import accounts.validators
import project.text


def fill_username_keys(apps, schema_editor):
    from accounts.validators import LEGACY_KEY_SEPARATOR, username_key

    User = apps.get_model("accounts", "User")
    keys, names = set(), set()
    for pk, username in User.objects.order_by("pk").values_list("pk", "username").iterator():
        key, name = username_key(username), username.lower()
        if key in keys or name in names:
            # update(), not save(): a historical model's save would recompute the key.
            User.objects.filter(pk=pk).update(username_key=f"{key}{LEGACY_KEY_SEPARATOR}{pk}")
        else:
            User.objects.filter(pk=pk).update(username_key=key)
        keys.add(key)
        names.add(name)


def clean_existing_names(apps, schema_editor):
    """Display names and token names written before lose invisible characters too."""
    from project.text import clean_single_line

    for model_name, field, may_be_empty in (
        ("User", "display_name", True),
        ("ApiToken", "name", False),
    ):
        model = apps.get_model("accounts", model_name)
        for pk, value in model.objects.values_list("pk", field).iterator(chunk_size=2000):
            cleaned = clean_single_line(value)
            if cleaned != value and (cleaned or may_be_empty):
                model.objects.filter(pk=pk).update(**{field: cleaned})


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_apitoken_scopes"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="username_key",
            field=models.CharField(editable=False, max_length=100, null=True),
        ),
        migrations.RunPython(fill_username_keys, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="user",
            name="username_key",
            field=accounts.models.UsernameKeyField(editable=False, max_length=100, unique=True),
        ),
        migrations.AlterField(
            model_name="apitoken",
            name="name",
            field=project.text.SingleLineCharField(max_length=100),
        ),
        migrations.AlterField(
            model_name="user",
            name="display_name",
            field=project.text.SingleLineCharField(blank=True, max_length=150),
        ),
        migrations.AlterField(
            model_name="user",
            name="username",
            field=models.CharField(
                error_messages={"unique": "A user with that username already exists."},
                help_text="Letters, digits and . + - _ only. You can log in with it.",
                max_length=150,
                unique=True,
                validators=[accounts.validators.validate_username],
                verbose_name="username",
            ),
        ),
        migrations.RunPython(clean_existing_names, migrations.RunPython.noop, elidable=True),
        migrations.AddConstraint(
            model_name="user",
            constraint=models.UniqueConstraint(
                django.db.models.functions.text.Lower("username"),
                condition=models.Q(("username_key__contains", "#"), _negated=True),
                name="user_username_unique_ci",
                violation_error_message="A user with that username already exists.",
            ),
        ),
    ]
