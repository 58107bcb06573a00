"""
``Idempotency-Key`` on POST: a client that retries a create (a timeout, a flaky network) with
the same key gets the first answer again — same status, body and ``Location`` — and nothing is
created twice. The same key with a different body is a 422.

Answers are kept for 24 hours in Django's cache under the user's id and the key. The default
local-memory cache is per process; in production set ``REDIS_URL`` so that every worker sees
the same keys. Only successful answers are kept: a failed create may be retried as it is.
That includes a new API token's secret, so the cache must be as private as the database.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable

from django.core.cache import cache
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from tasks.api.errors import ConflictError, Unprocessable

HEADER = "Idempotency-Key"
TTL_SECONDS = 24 * 60 * 60
#: How long a key stays claimed by a request that is still running.
IN_FLIGHT_SECONDS = 60
MAX_KEY_LENGTH = 255
REPLAYED_HEADERS = ("Location", "ETag")


def _fingerprint(request: Request) -> str:
    body = json.dumps(request.data, sort_keys=True, cls=JSONEncoder, default=str)
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def _cache_key(request: Request, key: str) -> str:
    digest = hashlib.sha256(key.encode()).hexdigest()
    return f"api:idempotency:{request.user.pk}:{digest}"


def idempotent(request: Request, create: Callable[[], Response]) -> Response:
    """Run ``create`` once per (user, key); replay its successful answer afterwards."""
    key = request.headers.get(HEADER, "").strip()
    if not key or not request.user.is_authenticated:
        return create()
    if len(key) > MAX_KEY_LENGTH:
        raise Unprocessable(f"{HEADER} must be at most {MAX_KEY_LENGTH} characters.")

    cache_key = _cache_key(request, key)
    fingerprint = _fingerprint(request)
    stored = cache.get(cache_key)
    if stored is None:
        # Claim the key first, so that two simultaneous retries cannot both create.
        if cache.add(cache_key, {"fingerprint": fingerprint}, IN_FLIGHT_SECONDS):
            return _run_and_store(cache_key, fingerprint, create)
        stored = cache.get(cache_key)
        if stored is None:
            return create()
    if stored["fingerprint"] != fingerprint:
        raise Unprocessable(f"This {HEADER} was already used for a different request.")
    if "status" not in stored:
        raise ConflictError(f"A request with this {HEADER} is still being processed; retry later.")
    response = Response(stored["data"], status=stored["status"], headers=stored["headers"])
    response["Idempotent-Replayed"] = "true"
    return response


def _run_and_store(cache_key: str, fingerprint: str, create: Callable[[], Response]) -> Response:
    try:
        response = create()
    except BaseException:
        cache.delete(cache_key)
        raise
    if 200 <= response.status_code < 300:
        data = json.loads(json.dumps(response.data, cls=JSONEncoder))
        headers = {name: response[name] for name in REPLAYED_HEADERS if response.has_header(name)}
        cache.set(
            cache_key,
            {
                "fingerprint": fingerprint,
                "status": response.status_code,
                "data": data,
                "headers": headers,
            },
            TTL_SECONDS,
        )
    else:
        cache.delete(cache_key)
    return response


def idempotent_create(create: Callable) -> Callable:
    """Decorate a viewset's ``create`` so that it honours ``Idempotency-Key``."""

    @functools.wraps(create)
    def wrapper(self, request, *args, **kwargs):
        return idempotent(request, lambda: create(self, request, *args, **kwargs))

    return wrapper
