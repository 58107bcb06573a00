import django.db.models.constraints
from django.db import migrations, models


def spread_duplicate_positions(apps, schema_editor):
    """
    Columns where two tasks share a position (concurrent moves could leave them) are renumbered
    in their current board order, so the constraint below can be added.
    """
    Task = apps.get_model("tasks", "Task")
    clashes = (
        Task.objects.values("project_id", "status", "position")
        .annotate(n=models.Count("id"))
        .filter(n__gt=1)
        .values_list("project_id", "status")
        .distinct()
    )
    for project_id, status in set(clashes):
        column = Task.objects.filter(project_id=project_id, status=status).order_by(
            "position", "id"
        )
        renumbered = [
            Task(pk=pk, position=(i + 1) * 1024)
            for i, pk in enumerate(column.values_list("pk", flat=True))
        ]
        Task.objects.bulk_update(renumbered, ["position"])


class Migration(migrations.Migration):
    dependencies = [
        ("tasks", "0004_task_position_index"),
    ]

    operations = [
        migrations.RunPython(spread_duplicate_positions, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="task",
            constraint=models.UniqueConstraint(
                deferrable=django.db.models.constraints.Deferrable["DEFERRED"],
                fields=("project", "status", "position"),
                name="task_position_unique_per_column",
                violation_error_message="Another task of this column has that position.",
            ),
        ),
    ]
