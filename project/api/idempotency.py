"""
``Idempotency-Key`` on POST: a client that retries a create (a timeout, a flaky network) with
the same key gets the first answer again — same status, body and ``Location`` — and nothing is
created twice. The same key with a different body is a 422.

Keys live in the database (``IdempotencyKey``), one row per user and key, for 24 hours; not in
the cache, which is per process by default and may be down. The claim, the create and the
stored answer are one transaction, so the unique constraint serialises retries that arrive
together: the second waits for the first to commit and then replays its answer. If the first
fails, its claim is rolled back with it and the retry runs as new. Only successful answers are
kept: a failed create may be retried as it is. They include a new API token's secret, kept
as it was answered for a day: the database holds it beside the token's hash until then.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework import exceptions, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from project.api.models import IdempotencyKey

HEADER = "Idempotency-Key"
TTL = timedelta(hours=24)
MAX_KEY_LENGTH = 255
REPLAYED_HEADERS = ("Location", "ETag")


class KeyRefused(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = f"This {HEADER} cannot be used."
    default_code = "idempotency_key_refused"


class KeyBusy(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = f"A request with this {HEADER} is still being processed; retry later."
    default_code = "idempotency_key_busy"
    wait = 1  # DRF's exception handler turns it into Retry-After


class _NotKept(Exception):
    """Leaves the claim's transaction when the create did not succeed, carrying its answer."""

    def __init__(self, response: Response) -> None:
        self.response = response


def _fingerprint(request: Request) -> str:
    body = json.dumps(request.data, sort_keys=True, cls=JSONEncoder, default=str)
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def idempotent(request: Request, create: Callable[[], Response]) -> Response:
    """Run ``create`` once per (user, key); replay its successful answer afterwards."""
    key = request.headers.get(HEADER, "").strip()
    if not key or not request.user.is_authenticated:
        return create()
    if len(key) > MAX_KEY_LENGTH:
        raise KeyRefused(f"{HEADER} must be at most {MAX_KEY_LENGTH} characters.")

    user = request.user
    key_hash = hashlib.sha256(key.encode()).hexdigest()
    fingerprint = _fingerprint(request)
    now = timezone.now()
    try:
        with transaction.atomic():
            # Expired keys of this user go first, this one included, so it can be used anew.
            IdempotencyKey.objects.filter(user=user, created__lt=now - TTL).delete()
            try:
                # The claim. A concurrent one with the same key blocks here until the other
                # transaction ends (PostgreSQL: the unique index; SQLite: the write lock).
                with transaction.atomic():
                    claim = IdempotencyKey.objects.create(
                        user=user,
                        key_hash=key_hash,
                        fingerprint=fingerprint,
                        status_code=0,
                        created=now,
                    )
            except IntegrityError:
                stored = IdempotencyKey.objects.filter(user=user, key_hash=key_hash).first()
                return _replay(stored, fingerprint)
            response = create()
            if not 200 <= response.status_code < 300:
                raise _NotKept(response)
            claim.status_code = response.status_code
            claim.body = json.loads(json.dumps(response.data, cls=JSONEncoder))
            claim.headers = {
                name: response[name] for name in REPLAYED_HEADERS if response.has_header(name)
            }
            claim.save(update_fields=["status_code", "body", "headers"])
            return response
    except _NotKept as refused:
        return refused.response


def _replay(stored: IdempotencyKey | None, fingerprint: str) -> Response:
    if stored is None:
        # Purged as expired between the failed claim and this read: rare, and a retry works.
        raise KeyBusy()
    if stored.fingerprint != fingerprint:
        raise KeyRefused(f"This {HEADER} was already used for a different request.")
    response = Response(stored.body, status=stored.status_code, headers=stored.headers)
    response["Idempotent-Replayed"] = "true"
    return response


def purge_expired() -> int:
    """Delete every expired key; returns how many. Claims purge their own user's as they go."""
    deleted, _ = IdempotencyKey.objects.filter(created__lt=timezone.now() - TTL).delete()
    return deleted


def idempotent_create(create: Callable) -> Callable:
    """Decorate a viewset's ``create`` so that it honours ``Idempotency-Key``."""

    @functools.wraps(create)
    def wrapper(self, request, *args, **kwargs):
        return idempotent(request, lambda: create(self, request, *args, **kwargs))

    return wrapper
