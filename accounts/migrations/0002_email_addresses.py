from django.db import migrations


def record_existing_addresses(apps, schema_editor):
    """
    Accounts made before e-mail addresses were tracked get theirs as their primary address,
    counted as confirmed: it is the address their password resets already went to.
    """
    User = apps.get_model("accounts", "User")
    EmailAddress = apps.get_model("account", "EmailAddress")
    EmailAddress.objects.bulk_create(
        [
            EmailAddress(user_id=user_id, email=email.lower(), primary=True, verified=True)
            for user_id, email in User.objects.exclude(email="").values_list("id", "email")
            if not EmailAddress.objects.filter(user_id=user_id).exists()
        ]
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("account", "0009_emailaddress_unique_primary_email"),
    ]

    operations = [migrations.RunPython(record_existing_addresses, migrations.RunPython.noop)]
