"""
Plumbing every app's API shares: ``errors`` (the one JSON error body and the exception
handler), ``pagination`` (keyset pagination), ``schema`` (what the OpenAPI document needs
beyond drf-spectacular's inference), ``docs`` (offline Redoc), ``throttling`` and
``idempotency`` (whose keys live in this package's one model, hence its small app config).
It imports no app, so ``accounts`` and ``tasks`` both build on it without importing each other.
"""
