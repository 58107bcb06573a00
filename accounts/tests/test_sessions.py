"""'Your sessions': where you are signed in, and signing out one or all of the others."""

import pytest
from allauth.usersessions.models import UserSession
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse

from accounts.useragent import describe_user_agent
from tasks.tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db

CHROME_LINUX = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
FIREFOX_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1"
)
EDGE_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0"
)
SAFARI_MAC = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.1 Safari/605.1.15"
)
CHROME_ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Mobile Safari/537.36"
)


@pytest.mark.parametrize(
    ("user_agent", "words"),
    [
        (CHROME_LINUX, "Chrome on Linux"),
        (FIREFOX_WINDOWS, "Firefox on Windows"),
        (SAFARI_IPHONE, "Safari on iPhone"),
        (EDGE_WINDOWS, "Edge on Windows"),
        (SAFARI_MAC, "Safari on macOS"),
        (CHROME_ANDROID, "Chrome on Android"),
        ("curl/8.5.0", "curl"),
        ("", "Unknown browser"),
        ("something odd", "Unknown browser"),
    ],
)
def test_a_user_agent_in_a_few_words(user_agent, words):
    assert describe_user_agent(user_agent) == words


def signed_in_browser(user, user_agent: str, address: str) -> Client:
    """A browser that signed in through the login page from ``address``."""
    client = Client(headers={"user-agent": user_agent}, REMOTE_ADDR=address)
    response = client.post(
        reverse("account_login"), {"login": user.username, "password": TEST_PASSWORD}
    )
    assert response.status_code == 302
    return client


def is_signed_in(client: Client) -> bool:
    return client.get(reverse("settings")).status_code == 200


def test_the_list_shows_device_address_last_seen_and_marks_this_session(alice):
    here = signed_in_browser(alice, CHROME_LINUX, "192.0.2.10")
    signed_in_browser(alice, FIREFOX_WINDOWS, "198.51.100.7")
    response = here.get(reverse("usersessions_list"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Chrome on Linux" in html
    assert "Firefox on Windows" in html
    assert "192.0.2.10" in html and "198.51.100.7" in html
    assert "Last seen" in html
    assert html.count("This session") == 1
    sessions = response.context["sessions"]
    assert [s.device for s in sessions] == ["Chrome on Linux", "Firefox on Windows"]
    assert [s.current for s in sessions] == [True, False]
    # In the settings frame, with the tab marked.
    assert 'aria-current="page">Sessions</a>' in html


def test_sign_out_all_other_sessions_ends_them_and_keeps_this_one(alice, oscar):
    here = signed_in_browser(alice, CHROME_LINUX, "192.0.2.10")
    laptop = signed_in_browser(alice, FIREFOX_WINDOWS, "198.51.100.7")
    phone = signed_in_browser(alice, SAFARI_IPHONE, "203.0.113.5")
    someone_else = signed_in_browser(oscar, CHROME_LINUX, "192.0.2.99")
    assert is_signed_in(laptop) and is_signed_in(phone)

    response = here.post(reverse("usersessions_list"), follow=True)
    assert response.redirect_chain == [(reverse("usersessions_list"), 302)]
    assert "All your other sessions were signed out." in response.content.decode()
    assert "Sign out all other sessions" not in response.content.decode()

    assert not is_signed_in(laptop)
    assert not is_signed_in(phone)
    assert laptop.session.get(SESSION_KEY) is None
    assert is_signed_in(here)
    assert is_signed_in(someone_else)
    assert UserSession.objects.filter(user=alice).count() == 1


def test_sign_out_one_chosen_session(alice):
    here = signed_in_browser(alice, CHROME_LINUX, "192.0.2.10")
    laptop = signed_in_browser(alice, FIREFOX_WINDOWS, "198.51.100.7")
    phone = signed_in_browser(alice, SAFARI_IPHONE, "203.0.113.5")
    chosen = UserSession.objects.get(user=alice, ip="198.51.100.7")

    response = here.post(reverse("usersessions_list"), {"session": chosen.pk})
    assert response.status_code == 302
    assert not is_signed_in(laptop)
    assert is_signed_in(phone)
    assert is_signed_in(here)
    assert not UserSession.objects.filter(pk=chosen.pk).exists()


@pytest.mark.parametrize("value", ["mine", "theirs", "999999", "abc"])
def test_a_session_that_is_not_another_of_yours_is_refused_and_nothing_ends(alice, oscar, value):
    here = signed_in_browser(alice, CHROME_LINUX, "192.0.2.10")
    theirs = signed_in_browser(oscar, FIREFOX_WINDOWS, "198.51.100.7")
    ids = {
        "mine": UserSession.objects.get(user=alice).pk,
        "theirs": UserSession.objects.get(user=oscar).pk,
    }
    response = here.post(reverse("usersessions_list"), {"session": ids.get(value, value)})
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()
    assert is_signed_in(here)
    assert is_signed_in(theirs)
    assert UserSession.objects.count() == 2


def test_the_sessions_page_needs_login(client):
    response = client.get(reverse("usersessions_list"))
    assert response["Location"].startswith(reverse("account_login"))
    response = client.post(reverse("usersessions_list"))
    assert response["Location"].startswith(reverse("account_login"))


def test_signing_out_others_needs_csrf(alice):
    here = signed_in_browser(alice, CHROME_LINUX, "192.0.2.10")
    laptop = signed_in_browser(alice, FIREFOX_WINDOWS, "198.51.100.7")
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = here.cookies
    assert strict.post(reverse("usersessions_list")).status_code == 403
    assert is_signed_in(laptop)
