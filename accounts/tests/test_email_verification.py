"""
E-mail verification (EMAIL_VERIFICATION): with ``mandatory`` a new account signs in only once
its address is confirmed, and ``User.can_receive_mail`` (what invitations and mail consult)
follows the confirmation; otherwise nobody waits for it.
"""

import re

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.urls import reverse

from accounts.models import User
from tasks.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "a-new-and-long-passphrase-77"


def sign_up(client):
    return client.post(
        reverse("account_signup"),
        {
            "username": "nora",
            "email": "nora@example.com",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )


def log_in(client):
    return client.post(reverse("account_login"), {"login": "nora", "password": PASSWORD})


def confirmation_key() -> str:
    return re.search(r"/accounts/confirm-email/([^/\s]+)/", mail.outbox[-1].body).group(1)


@pytest.fixture
def mandatory(settings):
    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"


def test_mandatory_no_sign_in_and_no_mail_before_the_address_is_confirmed(client, mandatory):
    response = sign_up(client)
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    assert SESSION_KEY not in client.session
    nora = User.objects.get(username="nora")
    assert not nora.can_receive_mail
    assert mail.outbox[-1].to == ["nora@example.com"]

    # Signing in is refused (another link is sent) until the link is followed.
    response = log_in(client)
    assert response["Location"] == reverse("account_email_verification_sent")
    assert SESSION_KEY not in client.session

    client.post(reverse("account_confirm_email", args=[confirmation_key()]))
    assert nora.can_receive_mail
    response = log_in(client)
    assert response["Location"] == "/"
    assert client.session[SESSION_KEY] == str(nora.pk)


@pytest.mark.parametrize("verification", ["optional", "none"])
def test_otherwise_a_new_account_can_receive_mail_at_once(client, settings, verification):
    settings.ACCOUNT_EMAIL_VERIFICATION = verification
    assert sign_up(client)["Location"] == "/"
    nora = User.objects.get(username="nora")
    assert EmailAddress.objects.get(user=nora).verified is False
    assert nora.can_receive_mail


def test_an_address_staff_entered_counts_as_confirmed(mandatory):
    assert UserFactory(username="walt").can_receive_mail


def test_an_account_without_an_address_receives_no_mail(settings):
    assert not UserFactory(username="nomail", email="").can_receive_mail
    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"
    assert not UserFactory(username="nomail2", email="").can_receive_mail


def test_only_the_primary_address_counts(mandatory):
    """A confirmed second address does not stand in for an unconfirmed primary one."""
    user = UserFactory(username="pia")
    EmailAddress.objects.filter(user=user).update(verified=False)
    EmailAddress.objects.create(user=user, email="pia@other.example", verified=True)
    assert not user.can_receive_mail


def test_can_receive_mail_costs_one_query(mandatory, django_assert_num_queries):
    user = UserFactory(username="quentin")
    with django_assert_num_queries(1):
        assert user.can_receive_mail
