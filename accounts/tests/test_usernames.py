"""
Usernames that cannot pass for someone else's: no look-alikes of an existing name (Cyrillic
``аlice``, ``Alice``, ``a1ice``), no e-mail addresses, nothing invisible, one alphabet.
"""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from accounts.models import User
from accounts.validators import clean_username, username_key, username_skeleton
from tasks.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "a-new-and-long-passphrase-77"
CYRILLIC_A = "\u0430"


def signup(client, username, email=None):
    return client.post(
        reverse("account_signup"),
        {
            "username": username,
            "email": email or "newcomer@example.com",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )


# ---------------------------------------------------------------------------
# The sign-up page
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "username",
    [
        f"{CYRILLIC_A}lice",  # Cyrillic а: reads "alice"
        "Alice",
        "ALICE",
        "a1ice",
        "aIice",  # capital i
        "AIice",
        "\uff41\uff4c\uff49\uff43\uff45",  # full-width letters, NFKC "alice"
        " alice ",
    ],
    ids=[
        "cyrillic-a",
        "capitalised",
        "upper-case",
        "digit-one",
        "capital-i",
        "capital-a-capital-i",
        "full-width",
        "padded",
    ],
)
def test_signup_refuses_a_look_alike_of_an_existing_username(client, alice, username):
    response = signup(client, username)
    assert response.status_code == 200
    errors = " ".join(response.context["form"].errors["username"])
    # A Cyrillic а among Latin letters is refused for mixing alphabets before any lookup.
    assert "looks too much like" in errors or "mix alphabets" in errors
    assert list(User.objects.values_list("username", flat=True)) == ["alice"]


def test_signup_refuses_a_look_alike_written_in_another_alphabet_alone(client):
    UserFactory(username="cope")
    response = signup(client, "\u0441\u043e\u0440\u0435")  # Cyrillic с о р е
    assert response.status_code == 200
    assert "looks too much like" in " ".join(response.context["form"].errors["username"])
    assert User.objects.count() == 1


@pytest.mark.parametrize(
    ("username", "message"),
    [
        ("alice@example.com", "cannot be an email address"),
        ("erin@", "cannot be an email address"),
        ("nora\u200b", "invisible"),
        ("\u202enora", "invisible"),
        ("no\u00adra", "invisible"),
        ("nor\u0430", "mix alphabets"),  # Latin "nor" and a Cyrillic а
        ("no ra", "letters, digits"),
    ],
    ids=["email", "at-sign", "zero-width-space", "bidi-override", "soft-hyphen", "mixed", "space"],
)
def test_signup_refuses_a_username_that_is_not_a_plain_name(client, username, message):
    response = signup(client, username)
    assert response.status_code == 200
    errors = " ".join(response.context["form"].errors["username"])
    assert message in errors.lower() or message in errors
    assert not User.objects.exists()


def test_signup_refuses_the_email_of_another_person_as_username(client, alice):
    response = signup(client, alice.email, email="mallory@example.com")
    assert response.status_code == 200
    assert "username" in response.context["form"].errors
    assert User.objects.count() == 1


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("nora", "nora"),
        ("\uff4e\uff4f\uff52\uff41", "nora"),  # full-width: stored in its usual form
        ("jean-luc.picard+x_1", "jean-luc.picard+x_1"),
        ("zoë", "zoë"),
        ("ζωή", "ζωή"),  # Greek alone is one alphabet
        ("山田taro", "山田taro"),  # Han with Latin is an allowed mix
    ],
)
def test_signup_accepts_and_normalises_plain_names(client, typed, stored):
    response = signup(client, typed)
    assert response.status_code == 302, response.context["form"].errors
    user = User.objects.get()
    assert user.username == stored
    assert user.username_key == username_key(stored)


def test_a_different_name_is_not_a_look_alike(client, alice):
    assert signup(client, "alicia").status_code == 302
    assert User.objects.count() == 2


# ---------------------------------------------------------------------------
# The function the sign-up forms call, and the model
# ---------------------------------------------------------------------------
def test_skeleton_follows_unicode_confusables():
    assert username_skeleton(f"{CYRILLIC_A}lice") == "alice"
    assert username_skeleton("a1ice") == username_skeleton("alice")
    assert username_skeleton("rnallory") == username_skeleton("mallory")
    assert username_skeleton("r00t") == username_skeleton("root")
    assert username_skeleton("alicé") != username_skeleton("alice")
    assert username_skeleton("erin") != username_skeleton("eric")


def test_clean_username_returns_the_normalised_name(alice):
    assert clean_username("  \uff4e\uff4f\uff52\uff41 ") == "nora"
    with pytest.raises(ValidationError, match="looks too much like"):
        clean_username("a1ice")
    with pytest.raises(ValidationError, match="mix alphabets"):
        clean_username(f"{CYRILLIC_A}lice")
    # An account's own name is no clash with itself.
    assert clean_username("Alice", exclude_pk=alice.pk) == "Alice"
    with pytest.raises(ValidationError, match="Choose a username"):
        clean_username("  ")


def test_the_model_field_validates_the_characters():
    user = User(username="someone@example.com", email="s@example.com")
    user.set_unusable_password()
    with pytest.raises(ValidationError) as error:
        user.full_clean()
    assert "username" in error.value.message_dict


def test_the_key_follows_a_renamed_username(alice):
    alice.username = "alicia"
    alice.save()
    alice.refresh_from_db()
    assert alice.username_key == username_key("alicia")


def test_the_database_refuses_a_look_alike_that_skipped_the_forms(alice):
    # The unique indexes are the real guard (forms only explain): what a race would hit.
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user(f"{CYRILLIC_A}lice", "a2@example.com", PASSWORD)
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user("ALICE", "a3@example.com", PASSWORD)


def test_updating_last_login_does_not_touch_the_key(alice):
    key = alice.username_key
    client = Client()
    client.force_login(alice)
    alice.refresh_from_db()
    assert alice.username_key == key


# ---------------------------------------------------------------------------
# The admin's user forms
# ---------------------------------------------------------------------------
def admin_client(staff) -> Client:
    client = Client()
    client.force_login(staff)
    return client


def test_admin_cannot_add_a_look_alike(staff, alice):
    response = admin_client(staff).post(
        reverse("admin:accounts_user_add"),
        {
            "username": "AIice",
            "email": "other@example.com",
            "display_name": "",
            "usable_password": "true",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert response.status_code == 200
    assert "looks too much like" in response.content.decode()
    assert not User.objects.filter(email="other@example.com").exists()


def change_data(user, **overrides) -> dict:
    return {
        "username": user.username,
        "email": user.email,
        "display_name": user.display_name,
        "time_zone": user.time_zone,
        "first_name": "",
        "last_name": "",
        "is_active": "on",
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
        **overrides,
    }


def test_admin_cannot_rename_someone_to_a_look_alike(staff, alice, erin):
    response = admin_client(staff).post(
        reverse("admin:accounts_user_change", args=[erin.pk]),
        change_data(erin, username="a1ice"),
    )
    assert response.status_code == 200
    assert "looks too much like" in response.content.decode()
    erin.refresh_from_db()
    assert erin.username == "erin"


def test_admin_may_save_a_user_without_renaming(staff, erin):
    response = admin_client(staff).post(
        reverse("admin:accounts_user_change", args=[erin.pk]),
        change_data(erin, display_name="Erin\u200b E."),
    )
    assert response.status_code == 302
    erin.refresh_from_db()
    assert erin.display_name == "Erin E."


def test_existing_look_alikes_keep_working_and_block_new_ones():
    """What the migration does with two accounts that looked alike before the rule."""
    from importlib import import_module

    from django.apps import apps

    migration = import_module("accounts.migrations.0004_usernames_that_look_alike")
    first = UserFactory(username="legacy")
    second = UserFactory(username="legacy2")
    # As they were before the rule: look-alikes (marked for now, so the indexes let them be).
    User.objects.filter(pk=second.pk).update(username="LEGACY", username_key="before#2")
    User.objects.filter(pk=first.pk).update(username_key="before#1")
    migration.fill_username_keys(apps, None)

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.username_key == username_key("legacy")
    assert second.username_key == f"{username_key('legacy')}#{second.pk}"
    second.last_name = "Kept"
    second.save()  # still saves
    with pytest.raises(ValidationError):
        clean_username("Legacy")


def test_a_username_made_up_for_single_sign_on_never_looks_like_an_existing_one(alice):
    """allauth makes up usernames for new single sign-on accounts: look-alikes are skipped."""
    from allauth.account.adapter import get_adapter

    made_up = get_adapter().generate_unique_username(["a1ice"])
    assert made_up != "a1ice"
    assert made_up.startswith("a1ice")
    assert clean_username(made_up) == made_up
