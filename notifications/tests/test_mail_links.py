"""
The links e-mails carry: one-click unsubscribe (over real HTTP, as a mail program sends it)
and the invitation link from the e-mail to sign-up, to the invitation, to membership.
"""

from __future__ import annotations

import datetime
import re
from html import unescape
from urllib.parse import urlsplit
from urllib.request import Request, urlopen

import pytest
from django.core import signing
from django.test import Client
from django.utils import timezone

from accounts.models import User
from notifications import mail, mail_links
from notifications.models import Delivery, Kind, NotificationSettings
from notifications.tests.conftest import html_part, smtp_server, text_part
from notifications.tests.helpers import make_note
from tasks import services
from tasks.models import Invitation, Membership, Role
from tasks.tests.factories import TEST_PASSWORD


def list_unsubscribe(message) -> str:
    return re.fullmatch(r"<([^>]+)>", message["List-Unsubscribe"]).group(1)


def delivery(user, kind) -> str:
    row = NotificationSettings.objects.filter(user=user).first()
    return row.delivery(kind) if row else "default"


# ---------------------------------------------------------------------------
# Unsubscribe
# ---------------------------------------------------------------------------
def test_the_unsubscribe_page_asks_first_then_turns_the_kind_off(smtp, erin, alice, task):
    make_note(erin, task=task, kind=Kind.ASSIGNED, actor=alice)
    mail.send_pending_mail()
    [message] = smtp.wait_for(1)
    path = urlsplit(list_unsubscribe(message)).path
    client = Client(enforce_csrf_checks=True)  # anonymous, no CSRF cookie

    page = client.get(path)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Stop e-mails to erin@example.com about assigned to you?" in html
    assert '<form method="post"' in html
    assert delivery(erin, Kind.ASSIGNED) == Delivery.INSTANT  # a GET changes nothing

    done = client.post(path)
    assert done.status_code == 200
    assert "You are unsubscribed" in done.content.decode()
    assert delivery(erin, Kind.ASSIGNED) == Delivery.OFF
    assert delivery(erin, Kind.COMMENTED) == Delivery.DIGEST  # other kinds untouched


def test_the_footer_link_unsubscribes_from_everything(smtp, erin, alice, task):
    make_note(erin, task=task, kind=Kind.COMMENTED, actor=alice)
    mail.send_pending_mail()
    [message] = smtp.wait_for(1)
    everything = re.search(r"all Taskdesk e-mails: (\S+)", text_part(message)).group(1)
    assert everything in unescape(html_part(message))
    assert Client().post(urlsplit(everything).path).status_code == 200
    assert all(delivery(erin, kind) == Delivery.OFF for kind in Kind.values)


def test_one_click_unsubscribe_over_http_without_cookies(live_server, settings, erin, alice, task):
    settings.SITE_URL = live_server.url
    with smtp_server(settings) as inbox:
        make_note(erin, task=task, kind=Kind.MENTIONED, actor=alice)
        assert mail.send_pending_mail() == 1
        [message] = inbox.wait_for(1)
    link = list_unsubscribe(message)
    assert link.startswith(f"{live_server.url}/unsubscribe/")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # What a mail program does (RFC 8058): a POST of this body, no cookies, no token.
    request = Request(
        link,
        data=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        method="POST",
    )
    with urlopen(request, timeout=10) as response:
        assert response.status == 200
        assert "You are unsubscribed" in response.read().decode()
    assert delivery(erin, Kind.MENTIONED) == Delivery.OFF
    # The page over HTTP: GET asks, and changes nothing more.
    with urlopen(link, timeout=10) as response:
        assert response.status == 200


@pytest.mark.parametrize("spoil", ["flip", "cut", "other-salt", "garbage"])
def test_a_tampered_unsubscribe_link_is_404_and_changes_nothing(erin, spoil):
    token = mail_links.unsubscribe_token(erin, "all")
    spoiled = {
        "flip": token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1],
        "cut": token[: len(token) // 2],
        "other-salt": signing.dumps({"u": erin.pk, "k": "all"}, compress=True),
        "garbage": "not-a-token",
    }[spoil]
    client = Client()
    assert client.get(f"/unsubscribe/{spoiled}/").status_code == 404
    assert client.post(f"/unsubscribe/{spoiled}/").status_code == 404
    assert not NotificationSettings.objects.filter(user=erin).exists()


def test_unsubscribing_skips_mail_already_waiting(smtp, erin, alice, task):
    make_note(erin, task=task, kind=Kind.COMMENTED, actor=alice)
    Client().post(f"/unsubscribe/{mail_links.unsubscribe_token(erin, [Kind.COMMENTED])}/")
    assert mail.send_pending_mail() == 0
    assert smtp.messages == []


# ---------------------------------------------------------------------------
# Invitations to an address without an account
# ---------------------------------------------------------------------------
def invite(project, alice, address="new.person@example.com", role=Role.EDITOR) -> Invitation:
    return services.member_invite(project=project, by=alice, email=address, role=role)


def test_an_invitation_email_leads_to_sign_up_and_membership(
    smtp, project, alice, django_capture_on_commit_callbacks
):
    invitation = invite(project, alice, "New.Person@Example.com")
    with django_capture_on_commit_callbacks(execute=True):
        mail.enqueue_invitation_email(invitation.pk)
    [message] = smtp.wait_for(1)
    assert message["To"] == "new.person@example.com"
    assert message["Subject"] == "Alice Owner invited you to “Alpha” on Taskdesk"
    assert message["List-Unsubscribe"] is None  # nobody to unsubscribe yet
    text = text_part(message)
    assert "as editor" in text
    link = re.search(r"https://tasks\.example\.com(/invitations/join/[^/\s]+/)", text).group(1)
    assert f'href="https://tasks.example.com{link}"' in html_part(message)

    client = Client()
    response = client.get(link)
    assert response.status_code == 302
    signup = response["Location"]
    assert signup.startswith("/accounts/signup/?")
    form = client.get(signup).content.decode()
    assert 'value="new.person@example.com"' in form
    assert 'name="next" value="/invitations/"' in form

    response = client.post(
        signup,
        {
            "username": "newbie",
            "email": "new.person@example.com",
            "password1": TEST_PASSWORD,
            "password2": TEST_PASSWORD,
            "next": "/invitations/",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/invitations/"
    newbie = User.objects.get(username="newbie")
    page = client.get("/invitations/").content.decode()
    assert "Alpha" in page and f"/invitations/{invitation.pk}/accept/" in page
    client.post(f"/invitations/{invitation.pk}/accept/")
    assert Membership.objects.get(project=project, user=newbie).role == Role.EDITOR
    # The link has done its work.
    assert Client().get(link).status_code == 410


def test_someone_signed_in_goes_straight_to_the_invitations(smtp, project, alice, oscar):
    invitation = invite(project, alice)
    client = Client()
    client.force_login(oscar)
    response = client.get(
        mail_links.invitation_join_url(invitation).removeprefix(mail_links.absolute(""))
    )
    assert response.status_code == 302 and response["Location"] == "/invitations/"


def test_an_address_that_has_an_account_by_now_is_sent_to_log_in(smtp, project, alice, oscar):
    invitation = invite(project, alice, "oscar@example.com")
    Invitation.objects.filter(pk=invitation.pk).update(invitee=None)
    path = mail_links.invitation_join_url(invitation).removeprefix(mail_links.absolute(""))
    response = Client().get(path)
    assert response["Location"] == "/accounts/login/?next=/invitations/"


def test_an_expired_or_cancelled_invitation_link_is_gone(smtp, project, alice):
    invitation = invite(project, alice)
    path = mail_links.invitation_join_url(invitation).removeprefix(mail_links.absolute(""))
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    response = Client().get(path)
    assert response.status_code == 410
    assert "no longer open" in response.content.decode()
    assert Client().get("/invitations/join/forged/").status_code == 410


def test_an_invitation_to_an_account_is_not_mailed_here(smtp, project, alice, oscar):
    invitation = invite(project, alice, "oscar@example.com")  # the notification's job
    assert mail.send_invitation_email.call(invitation.pk) == "no such invitation"
    assert smtp.messages == []


def test_invitation_mails_are_sent_once_and_limited_per_inviter(smtp, settings, project, alice):
    settings.INVITATION_EMAILS_PER_HOUR = 2
    first = invite(project, alice, "one@example.com")
    assert mail.send_invitation_email.call(first.pk) == "sent"
    assert mail.send_invitation_email.call(first.pk) == "already sent"
    second = invite(project, alice, "two@example.com")
    third = invite(project, alice, "three@example.com")
    assert mail.send_invitation_email.call(second.pk) == "sent"
    assert mail.send_invitation_email.call(third.pk) == "rate limited"
    assert [m["To"] for m in smtp.wait_for(2)] == ["one@example.com", "two@example.com"]


def test_a_mail_server_that_is_down_fails_the_job_not_the_request(
    smtp_down, settings, project, alice, django_capture_on_commit_callbacks
):
    invitation = invite(project, alice)
    with django_capture_on_commit_callbacks(execute=True):
        mail.enqueue_invitation_email(invitation.pk)  # the job fails; nothing is raised here
    with pytest.raises(OSError):
        mail.send_invitation_email.call(invitation.pk)
    with smtp_server(settings) as inbox:  # the queue's retry, once the server is back
        assert mail.send_invitation_email.call(invitation.pk) == "sent"
        assert len(inbox.wait_for(1)) == 1
