"""
The single sign-on pages in Taskdesk's frame: the button on the sign-in page, the step before
leaving for the provider, and the "Single sign-on" settings tab listing linked accounts.
The whole flow against a real provider: project/tests/test_sso_http.py.
"""

import re

import pytest
from allauth.socialaccount.models import SocialAccount
from django.test import Client
from django.urls import reverse

from tasks.tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db

SSO_LOGIN = "/accounts/oidc/sso/login/"


@pytest.fixture
def sso(settings):
    settings.SOCIALACCOUNT_PROVIDERS = {
        "openid_connect": {
            "OAUTH_PKCE_ENABLED": True,
            "APPS": [
                {
                    "provider_id": "sso",
                    "name": "Company SSO",
                    "client_id": "taskdesk",
                    "secret": "secret",
                    "settings": {"server_url": "https://id.example.com/realms/staff"},
                }
            ],
        }
    }


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_without_a_provider_no_button_and_no_tab(client, alice):
    html = client.get(reverse("account_login")).content.decode()
    assert SSO_LOGIN not in html
    html = signed_in(alice).get(reverse("settings")).content.decode()
    assert "Single sign-on" not in html


def test_the_sign_in_page_offers_the_provider_below_the_password_form(client, sso):
    html = client.get(reverse("account_login")).content.decode()
    assert 'class="auth-card"' in html
    button = re.search(
        r'<a class="btn btn-ghost btn-block" href="([^"]+)">Log in with Company SSO</a>', html
    )
    assert button and button.group(1) == f"{SSO_LOGIN}?process=login"
    assert html.index('name="password"') < html.index(SSO_LOGIN)
    assert "third-party" not in html


def test_the_step_before_the_provider_is_a_post_in_the_frame(client, sso):
    response = client.get(f"{SSO_LOGIN}?process=login")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="auth-card"' in html
    assert "<h1>Log in with Company SSO</h1>" in html
    assert re.search(r'<form method="post"[^>]*>\s*<input type="hidden" name="csrfmid', html)


def test_the_settings_tab_lists_linked_accounts_and_offers_to_link(alice, sso):
    SocialAccount.objects.create(
        user=alice, provider="sso", uid="42", extra_data={"email": "alice@corp.example"}
    )
    client = signed_in(alice)
    html = client.get(reverse("settings")).content.decode()
    assert re.search(r'href="/accounts/3rdparty/">Single sign-on</a>', html)

    response = client.get(reverse("socialaccount_connections"))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('aria-current="page"') == 1
    assert 'href="/accounts/3rdparty/" aria-current="page"' in html
    assert html.count("<h1") == 1
    assert 'type="radio" name="account"' in html
    assert f'href="{SSO_LOGIN}?process=connect">Link Company SSO</a>' in html
    assert '<button type="submit" class="btn btn-danger">Unlink</button>' in html


def test_unlinking_the_only_way_in_is_refused_in_words(sso, django_user_model):
    """Someone who came in through the provider has no password: unlinking would lock them out."""
    user = django_user_model.objects.create_user("pat", "pat@corp.example")
    user.set_unusable_password()
    user.save()
    account = SocialAccount.objects.create(user=user, provider="sso", uid="7")
    client = signed_in(user)
    response = client.post(reverse("socialaccount_connections"), {"account": account.pk})
    assert response.status_code == 200
    assert 'class="form-errors"' in response.content.decode()
    assert SocialAccount.objects.filter(pk=account.pk).exists()


def test_unlink(alice, sso):
    account = SocialAccount.objects.create(user=alice, provider="sso", uid="42")
    client = signed_in(alice)
    client.post(reverse("account_reauthenticate"), {"password": TEST_PASSWORD})
    response = client.post(reverse("socialaccount_connections"), {"account": account.pk})
    assert response.status_code == 302
    assert not SocialAccount.objects.filter(pk=account.pk).exists()
