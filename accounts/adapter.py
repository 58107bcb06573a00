"""How django-allauth fits Taskdesk: the client address, usernames, and where people land."""

from __future__ import annotations

import logging
import smtplib

from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.conf import settings
from django.http import HttpRequest

from accounts.signals import ALLAUTH_MANAGES_EMAIL
from accounts.validators import clean_username
from project.net import client_ip

logger = logging.getLogger(__name__)


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """
        A mail server that is down or refuses costs the mail, not the request: signing up,
        changing an address or asking for a reset still works, the failure is logged, and
        the page offers to send again.
        """
        try:
            super().send_mail(template_prefix, email, context)
        except (smtplib.SMTPException, OSError):
            logger.exception("Could not send the mail %s", template_prefix)

    def get_client_ip(self, request: HttpRequest) -> str:
        """The address rate limits and "your sessions" use (TRUSTED_PROXIES, DESIGN §11)."""
        return client_ip(request)

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return settings.SIGNUP_OPEN and not settings.SOCIALACCOUNT_ONLY

    def clean_username(self, username: str, shallow: bool = False) -> str:
        """
        Normalised (NFKC), and not like an existing username (``accounts.validators``); then
        allauth's checks, which run the username field's validators. The look-alike check
        runs for the usernames allauth makes up for single sign-on too (``shallow``): a refused
        candidate makes it try the next one, where a clash at the unique index would be a 500.
        """
        return super().clean_username(clean_username(username), shallow=shallow)

    def save_user(self, request: HttpRequest, user, form, commit: bool = True):
        # allauth records the new account's address itself, unconfirmed (accounts.signals).
        setattr(user, ALLAUTH_MANAGES_EMAIL, True)
        return super().save_user(request, user, form, commit=commit)


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest, sociallogin) -> bool:
        return settings.SIGNUP_OPEN

    def save_user(self, request: HttpRequest, sociallogin, form=None):
        setattr(sociallogin.user, ALLAUTH_MANAGES_EMAIL, True)
        return super().save_user(request, sociallogin, form=form)
