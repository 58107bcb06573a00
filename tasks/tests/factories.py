"""factory_boy factories for every model. Tasks made here skip the domain functions on
purpose (fast fixtures); tests of behaviour go through ``tasks.services``."""

import factory
from django.utils import timezone

from accounts.models import ApiToken, User
from tasks.models import (
    Activity,
    Comment,
    Invitation,
    Membership,
    Project,
    Role,
    Status,
    Tag,
    Task,
)

TEST_PASSWORD = "correct-horse-battery-staple-42"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    display_name = factory.LazyAttribute(lambda u: u.username.title())
    password = factory.django.Password(TEST_PASSWORD)


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project

    name = factory.Sequence(lambda n: f"Project {n}")
    created_by = factory.SubFactory(UserFactory)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    project = factory.SubFactory(ProjectFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.VIEWER


class InvitationFactory(factory.django.DjangoModelFactory):
    """An open invitation to an account (``invitee``), by its username."""

    class Meta:
        model = Invitation

    project = factory.SubFactory(ProjectFactory)
    invitee = factory.SubFactory(UserFactory)
    address = factory.LazyAttribute(lambda i: i.invitee.username if i.invitee else "nobody")
    role = Role.VIEWER
    invited_by = factory.SelfAttribute("project.created_by")


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag

    project = factory.SubFactory(ProjectFactory)
    name = factory.Sequence(lambda n: f"tag{n}")


class TaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Task
        skip_postgeneration_save = True

    project = factory.SubFactory(ProjectFactory)
    title = factory.Sequence(lambda n: f"Task {n}")
    # Declared so that completed_at below can read it when a test does not pass a status.
    status = Status.TODO
    created_by = factory.SelfAttribute("project.created_by")
    position = factory.Sequence(lambda n: (n + 1) * 1024)
    completed_at = factory.LazyAttribute(
        lambda t: timezone.now() if t.status == Status.DONE else None
    )

    @factory.post_generation
    def tags(self, create, extracted, **kwargs):
        if create and extracted:
            self.tags.set(extracted)


class CommentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Comment

    task = factory.SubFactory(TaskFactory)
    author = factory.SubFactory(UserFactory)
    body = factory.Faker("sentence")


class ActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Activity

    task = factory.SubFactory(TaskFactory)
    project = factory.SelfAttribute("task.project")
    task_title = factory.SelfAttribute("task.title")
    verb = Activity.Verb.UPDATED


def make_token(user, **kwargs):
    """
    An API token for ``user`` and its secret. Unlike a new token's default, it may manage
    tokens: tests act as the person; the tests of token scopes pass the scope they test.
    """
    kwargs.setdefault("can_manage_tokens", True)
    return ApiToken.issue(user=user, name=kwargs.pop("name", "test"), **kwargs)
