"""
People, their tokens and groups in the admin, as staff who are not superusers (a "clerk"
holding only some model permissions) would try to raise themselves: superuser status, groups
and permissions are a superuser's matter, and so is every staff account but one's own, tokens
included. Forged posts change nothing.
"""

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.socialaccount.models import SocialAccount, SocialToken
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import ApiToken, User
from tasks.tests.admin_support import (
    admin_url,
    confirm_bulk_delete,
    form_data,
    make_clerk,
    messages_of,
    run_action,
    run_form_action,
)
from tasks.tests.factories import TEST_PASSWORD, UserFactory, make_token

pytestmark = pytest.mark.django_db

PRIVILEGES = ("is_superuser", "groups", "user_permissions")


@pytest.fixture
def clerk(client):
    """Staff who may view and change people, and nothing else."""
    clerk = make_clerk("view_user", "change_user")
    client.force_login(clerk)
    return clerk


@pytest.fixture
def root(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def everything():
    return [str(pk) for pk in Permission.objects.values_list("pk", flat=True)]


@pytest.fixture
def admins_group(everything):
    group = Group.objects.create(name="Admins")
    group.permissions.set(everything)
    return group


def password_url(user: User) -> str:
    return reverse("admin:auth_user_password_change", args=[user.pk])


def fields_of(response) -> set[str]:
    return set(response.context["adminform"].form.fields)


def privileges_of(user: User):
    user = User.objects.get(pk=user.pk)
    return (
        user.is_staff,
        user.is_superuser,
        list(user.groups.all()),
        list(user.user_permissions.order_by("codename").values_list("codename", flat=True)),
    )


# A clerk's own account
def test_own_change_form_offers_no_privileges(client, clerk):
    response = client.get(admin_url("accounts.user", "change", clerk.pk))

    assert response.status_code == 200
    fields = fields_of(response)
    assert {"display_name", "email", "is_active"} <= fields
    assert fields.isdisjoint({*PRIVILEGES, "is_staff"})
    page = response.content.decode()
    for name in (*PRIVILEGES, "is_staff"):
        assert f'name="{name}"' not in page
    assert "Superuser status" not in page


def test_forged_post_on_own_account_raises_nothing(client, clerk, admins_group, everything):
    url = admin_url("accounts.user", "change", clerk.pk)
    before = privileges_of(clerk)
    data = form_data(
        client.get(url),
        display_name="Clerk Kent",
        is_superuser="on",
        is_staff="on",
        groups=[str(admins_group.pk)],
        user_permissions=everything,
    )

    response = client.post(url, data)

    assert response.status_code == 302
    assert User.objects.get(pk=clerk.pk).display_name == "Clerk Kent"  # the form did save
    assert privileges_of(clerk) == before


def test_forged_post_on_someone_else_raises_nothing(client, clerk, alice, admins_group):
    url = admin_url("accounts.user", "change", alice.pk)
    data = form_data(
        client.get(url), is_superuser="on", is_staff="on", groups=[str(admins_group.pk)]
    )

    assert client.post(url, data).status_code == 302
    assert privileges_of(alice) == (False, False, [], [])


def test_forged_add_makes_a_plain_account(client, admins_group, everything):
    client.force_login(make_clerk("view_user", "add_user", "change_user"))
    data = {
        "username": "sidekick",
        "email": "sidekick@example.com",
        "display_name": "Sidekick",
        "usable_password": "false",
        "is_staff": "on",
        "is_superuser": "on",
        "groups": [str(admins_group.pk)],
        "user_permissions": everything,
        "_save": "Save",
    }

    response = client.post(admin_url("accounts.user", "add"), data)

    assert response.status_code == 302
    assert privileges_of(User.objects.get(username="sidekick")) == (False, False, [], [])
    assert fields_of(client.get(admin_url("accounts.user", "add"))).isdisjoint(PRIVILEGES)


# Superusers and other staff are out of a clerk's reach
def test_password_form_of_a_superuser_is_403(client, clerk, root):
    url = password_url(root)
    new = {"password1": "Taken-over-42", "password2": "Taken-over-42", "usable_password": "true"}

    assert client.get(url).status_code == 403
    assert client.post(url, new).status_code == 403
    assert User.objects.get(pk=root.pk).check_password(TEST_PASSWORD)


def test_password_form_of_other_staff_is_403_but_ones_own_opens(client, clerk):
    colleague = make_clerk_named("colleague", "delete_project")
    assert client.get(password_url(colleague)).status_code == 403
    assert client.get(password_url(clerk)).status_code == 200


def make_clerk_named(username, *codenames):
    person = UserFactory(username=username, is_staff=True)
    person.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    return person


def test_a_superuser_opens_read_only_and_a_post_is_403(client, clerk, root):
    url = admin_url("accounts.user", "change", root.pk)

    page = client.get(url)

    assert page.status_code == 200
    content = page.content.decode()
    assert 'name="_save"' not in content
    assert 'name="email"' not in content and 'name="is_active"' not in content
    assert "root@example.com" in content  # shown, read-only
    assert "Superuser status" not in content
    forged = {"username": "root", "email": "mine@example.com", "is_superuser": "", "_save": "Save"}
    assert client.post(url, forged).status_code == 403
    assert User.objects.get(pk=root.pk).email == "root@example.com"


def test_staff_with_view_only_cannot_open_a_superuser_for_change(client, root):
    client.force_login(make_clerk("view_user"))
    url = admin_url("accounts.user", "change", root.pk)
    assert client.get(url).status_code == 200
    assert client.post(url, {"username": "root", "_save": "Save"}).status_code == 403


def test_a_superuser_cannot_be_deleted_by_a_clerk(client, root, alice):
    client.force_login(make_clerk("view_user", "change_user", "delete_user"))
    url = admin_url("accounts.user", "delete", root.pk)

    assert client.get(url).status_code == 403
    assert client.post(url, {"post": "yes"}).status_code == 403
    assert User.objects.filter(pk=root.pk).exists()


def test_bulk_delete_with_a_superuser_selected_deletes_nothing(client, root, oscar, victor):
    client.force_login(make_clerk("view_user", "change_user", "delete_user"))

    confirm = client.post(
        admin_url("accounts.user"),
        {"action": "delete_selected", "_selected_action": [str(root.pk), str(oscar.pk)]},
    )
    response = confirm_bulk_delete(client, "accounts.user", [root, oscar])

    assert confirm.status_code == 200
    assert confirm.context["perms_lacking"]
    assert response.status_code == 403
    assert User.objects.filter(pk__in=[root.pk, oscar.pk]).count() == 2
    # Ordinary accounts still go.
    response = confirm_bulk_delete(client, "accounts.user", [oscar, victor])
    assert messages_of(response) == ["Deleted 2 users."]


def test_clerk_sees_no_superuser_filter_and_cannot_forge_one(client, clerk, root):
    response = client.get(admin_url("accounts.user"))
    assert "is_superuser" not in response.content.decode()

    for forged in ({"is_superuser__exact": "1"}, {"groups": "1"}, {"user_permissions__pk": "1"}):
        assert client.get(admin_url("accounts.user"), forged).status_code == 400, forged


def test_a_superuser_still_manages_privileges(client, root, alice, admins_group):
    client.force_login(root)
    url = admin_url("accounts.user", "change", alice.pk)
    page = client.get(url)
    assert {*PRIVILEGES, "is_staff"} <= fields_of(page)

    data = form_data(page, is_staff="on", groups=[str(admins_group.pk)])
    assert client.post(url, data).status_code == 302
    assert privileges_of(alice)[:3] == (True, False, [admins_group])
    assert "is_superuser" in client.get(admin_url("accounts.user")).content.decode()
    only_root = client.get(admin_url("accounts.user"), {"is_superuser__exact": "1"})
    assert list(only_root.context["cl"].result_list) == [root]


# Groups: their permissions are a superuser's matter
@pytest.fixture
def group_clerk(client):
    clerk = make_clerk("view_group", "add_group", "change_group")
    client.force_login(clerk)
    return clerk


def test_group_forms_offer_no_permissions_to_a_clerk(client, group_clerk):
    support = Group.objects.create(name="Support")
    group_clerk.groups.add(support)

    change = client.get(admin_url("auth.group", "change", support.pk))
    add = client.get(admin_url("auth.group", "add"))

    assert fields_of(change) == fields_of(add) == {"name"}
    assert 'name="permissions"' not in change.content.decode()


def test_forged_group_permissions_change_nothing(client, group_clerk, everything):
    support = Group.objects.create(name="Support")
    group_clerk.groups.add(support)
    url = admin_url("auth.group", "change", support.pk)

    response = client.post(url, {"name": "Support desk", "permissions": everything, "_save": "1"})

    assert response.status_code == 302
    support.refresh_from_db()
    assert support.name == "Support desk"
    assert not support.permissions.exists()
    assert not User.objects.get(pk=group_clerk.pk).has_perm("accounts.delete_user")

    added = client.post(
        admin_url("auth.group", "add"), {"name": "Mine", "permissions": everything, "_save": "1"}
    )
    assert added.status_code == 302, added.context["adminform"].form.errors
    assert not Group.objects.get(name="Mine").permissions.exists()


def test_a_superuser_still_sets_group_permissions(client, root):
    client.force_login(root)
    support = Group.objects.create(name="Support")
    view_task = Permission.objects.get(codename="view_task")
    url = admin_url("auth.group", "change", support.pk)
    data = {"name": "Support", "permissions": [str(view_task.pk)], "_save": "1"}
    assert client.post(url, data).status_code == 302
    assert list(support.permissions.all()) == [view_task]


# Tokens: a superuser's are out of a clerk's reach too
@pytest.fixture
def token_clerk(client):
    clerk = make_clerk("view_apitoken", "change_apitoken", "delete_apitoken")
    client.force_login(clerk)
    return clerk


def test_a_superusers_token_opens_read_only(client, token_clerk, root):
    token, _ = make_token(root)
    url = admin_url("accounts.apitoken", "change", token.pk)

    assert client.get(url).status_code == 200
    assert b'name="_save"' not in client.get(url).content
    assert client.post(url, {"name": "renamed", "_save": "Save"}).status_code == 403
    delete = admin_url("accounts.apitoken", "delete", token.pk)
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert ApiToken.objects.get(pk=token.pk).name == token.name


def test_revoke_leaves_a_superusers_tokens_alone(client, token_clerk, root, alice):
    roots, _ = make_token(root)
    alices, _ = make_token(alice)

    response = run_action(client, "accounts.apitoken", "revoke", [roots, alices])
    from_the_form = run_form_action(client, "accounts.apitoken", "revoke", roots)

    assert messages_of(response) == [
        "Left 1 token alone: only a superuser revokes a staff account's tokens.",
        "Revoked 1 token.",
    ]
    assert from_the_form.status_code == 302
    assert ApiToken.objects.get(pk=roots.pk).revoked_at is None
    assert ApiToken.objects.get(pk=alices.pk).revoked_at is not None


def test_a_persons_rows_name_only_accounts_one_may_manage(rf, root, alice):
    """What the ``user`` field of a personal row's form accepts (a token's is read-only)."""
    clerk = make_clerk("view_apitoken", "change_apitoken")
    token_admin = admin.site.get_model_admin(ApiToken)

    def user_field(by):
        request = rf.get("/")
        request.user = by
        return token_admin.formfield_for_foreignkey(ApiToken._meta.get_field("user"), request)

    field = user_field(clerk)

    assert set(field.queryset) == {alice, clerk}
    assert field.clean(str(alice.pk)) == alice
    with pytest.raises(ValidationError):
        field.clean(str(root.pk))
    assert set(user_field(root).queryset) == {alice, clerk, root}


# What django-allauth keeps for a person: an address takes password resets, an authenticator
# is a second factor, a linked account signs in
def allauth_rows(person):
    address = EmailAddress.objects.create(user=person, email=f"{person.username}@example.org")
    factor = Authenticator.objects.create(user=person, type="totp", data={"secret": "A" * 32})
    linked = SocialAccount.objects.create(
        user=person, provider="openid_connect", uid=f"sub-{person.pk}"
    )
    return {
        "account.emailaddress": address,
        "mfa.authenticator": factor,
        "socialaccount.socialaccount": linked,
        "socialaccount.socialtoken": SocialToken.objects.create(account=linked, token="t"),
    }


@pytest.mark.parametrize(
    "model",
    [
        "account.emailaddress",
        "mfa.authenticator",
        "socialaccount.socialaccount",
        "socialaccount.socialtoken",
    ],
)
def test_a_superusers_allauth_rows_are_out_of_reach(client, root, alice, model):
    app, name = model.split(".")
    may = [f"{action}_{name}" for action in ("view", "change", "delete")]
    client.force_login(make_clerk(*may, "delete_socialtoken"))  # a linked account's tokens go too
    roots, alices = allauth_rows(root)[model], allauth_rows(alice)[model]

    assert client.post(admin_url(model, "change", roots.pk), {"_save": "Save"}).status_code == 403
    assert client.post(admin_url(model, "delete", roots.pk), {"post": "yes"}).status_code == 403
    assert confirm_bulk_delete(client, model, [roots, alices]).status_code == 403
    assert type(roots).objects.filter(pk=roots.pk).exists()
    # An ordinary account's row is the clerk's to delete.
    assert client.post(admin_url(model, "delete", alices.pk), {"post": "yes"}).status_code == 302


def test_no_address_or_linked_sign_in_is_added_to_a_superuser(client, root, alice):
    client.force_login(make_clerk("view_emailaddress", "add_emailaddress", "add_socialaccount"))
    # Verified and primary: the address a password reset for that account would be sent to.
    address = {"email": "mine@example.org", "verified": "on", "primary": "on", "_save": "Save"}
    link = {"provider": "openid_connect", "uid": "my-sub", "extra_data": "{}", "_save": "Save"}

    refused = client.post(admin_url("account.emailaddress", "add"), {**address, "user": root.pk})
    linked = client.post(admin_url("socialaccount.socialaccount", "add"), {**link, "user": root.pk})

    assert "user" in refused.context["adminform"].form.errors
    assert "user" in linked.context["adminform"].form.errors
    assert not EmailAddress.objects.filter(email="mine@example.org").exists()
    assert not SocialAccount.objects.filter(uid="my-sub").exists()
    EmailAddress.objects.filter(user=alice).delete()
    added = client.post(admin_url("account.emailaddress", "add"), {**address, "user": alice.pk})
    assert added.status_code == 302
    assert EmailAddress.objects.filter(user=alice, email="mine@example.org").exists()


def test_marking_addresses_verified_leaves_a_superusers_alone(client, root, alice):
    client.force_login(make_clerk("view_emailaddress", "change_emailaddress"))
    roots, alices = (
        allauth_rows(root)["account.emailaddress"],
        allauth_rows(alice)["account.emailaddress"],
    )

    run_action(client, "account.emailaddress", "make_verified", [roots, alices])

    assert not EmailAddress.objects.get(pk=roots.pk).verified
    assert EmailAddress.objects.get(pk=alices.pk).verified


def test_marking_addresses_verified_needs_the_change_permission(client, alice):
    client.force_login(make_clerk("view_emailaddress"))
    address = allauth_rows(alice)["account.emailaddress"]
    run_action(client, "account.emailaddress", "make_verified", [address])
    assert not EmailAddress.objects.get(pk=address.pk).verified


def test_single_sign_on_apps_are_for_superusers_only(client, root):
    client.force_login(make_clerk("view_socialapp", "add_socialapp", "change_socialapp"))
    assert client.get(admin_url("socialaccount.socialapp")).status_code == 403
    assert client.get(admin_url("socialaccount.socialapp", "add")).status_code == 403
    client.force_login(root)
    assert client.get(admin_url("socialaccount.socialapp")).status_code == 200
