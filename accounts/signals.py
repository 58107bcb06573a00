"""Keep django-allauth's e-mail address table in step with ``User.email``."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from django.db import transaction

#: Set on a user while django-allauth signs them up: it records their address itself.
ALLAUTH_MANAGES_EMAIL = "_allauth_manages_email"


def sync_primary_email(sender, instance, created: bool, raw: bool = False, **kwargs) -> None:
    """
    An address set outside the account pages (by staff in the admin, ``createsuperuser``, the
    demo seed) becomes the account's primary address, so password resets, notices and
    "change e-mail" start from the address the account shows. Staff vouch for it: it counts
    as confirmed. The account pages (sign-up, e-mail changes) keep the table themselves.
    """
    if raw or not instance.email or getattr(instance, ALLAUTH_MANAGES_EMAIL, False):
        return
    email = instance.email.lower()
    with transaction.atomic():
        addresses = EmailAddress.objects.filter(user=instance)
        current = addresses.filter(email__iexact=email).first()
        if current is not None and current.primary:
            return
        addresses.filter(primary=True).update(primary=False)
        if current is None:
            EmailAddress.objects.create(user=instance, email=email, primary=True, verified=True)
        else:
            addresses.filter(pk=current.pk).update(primary=True)
