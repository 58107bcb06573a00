"""How django-allauth fits Taskdesk: the client address, usernames, and where people land."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.conf import settings
from django.http import HttpRequest

from accounts.signals import ALLAUTH_MANAGES_EMAIL


class AccountAdapter(DefaultAccountAdapter):
    def get_client_ip(self, request: HttpRequest) -> str:
        """The address rate limits and "your sessions" use: the socket's, or a proxy's word."""
        return request.META.get("REMOTE_ADDR", "")

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return settings.SIGNUP_OPEN and not settings.SOCIALACCOUNT_ONLY

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
