"""
``manage.py seed_notifications``: what the demo needs to show notifications at work, run by
``make seed`` after ``seed_demo``:

- a reminder for the demo's first person (ada) that comes due one minute from now, made again
  on every run unless one is still waiting, so ``make run`` shows a reminder firing;
- a comment by another demo person that mentions her (once), turned into her inbox entry at
  once, so her inbox has something in it even before a worker runs.
"""

from __future__ import annotations

import datetime

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from notifications.events import handle_activity
from notifications.models import Reminder
from tasks import services
from tasks.management.commands.seed_demo import PEOPLE
from tasks.models import Activity, Comment, Project, Role, Task

MENTION = "@{username} could you look at this one before Friday? The numbers need your eye."


class Command(BaseCommand):
    help = "Add the demo's reminder and mention (after seed_demo; changes nothing without it)."

    def handle(self, *args, **options) -> None:
        usernames = [person.username for person in PEOPLE]
        people = {user.username: user for user in User.objects.filter(username__in=usernames)}
        me = people.get(usernames[0])
        if me is None:
            self.stdout.write("No demo data: run seed_demo first.")
            return
        with transaction.atomic():
            self._reminder(me)
            self._mention(me, [people[name] for name in usernames[1:] if name in people])

    def _reminder(self, me: User) -> None:
        now = timezone.now()
        if Reminder.objects.filter(user=me, fired_at__isnull=True, remind_at__gt=now).exists():
            self.stdout.write(f"A reminder for {me.username} is already waiting.")
            return
        task = Task.objects.visible_to(me).open().filter(assignee=me).order_by("id").first()
        if task is None:
            task = Task.objects.visible_to(me).open().order_by("id").first()
        if task is None:
            return
        Reminder.objects.create(task=task, user=me, remind_at=now + datetime.timedelta(minutes=1))
        self.stdout.write(
            f"Reminder for {me.username} about “{task.title}” fires in one minute "
            "(with the scheduler running)."
        )

    def _mention(self, me: User, others: list[User]) -> None:
        body = MENTION.format(username=me.username)
        if Comment.objects.filter(body=body).exists():
            return
        writable = Project.objects.writable_by(me).values("pk")
        for author in others:
            task = (
                Task.objects.writable_by(author)
                .filter(project__in=writable)
                .open()
                .order_by("id")
                .first()
            )
            role = task and task.project.role_of(author)
            if task is not None and role and role.allows(Role.EDITOR):
                comment = services.comment_add(task=task, by=author, body=body)
                for activity in Activity.objects.filter(
                    task=task, verb=Activity.Verb.COMMENTED, changes__comment=comment.pk
                ):
                    handle_activity(activity)
                self.stdout.write(f"{author.username} mentioned {me.username} on “{task.title}”.")
                return
