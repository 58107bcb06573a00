"""
Plumbing every app's API shares (a plain package, not an app): ``errors`` (the one JSON error
body and the exception handler), ``pagination`` (keyset pagination), ``schema`` (what the
OpenAPI document needs beyond drf-spectacular's inference) and ``docs`` (offline Redoc).
It imports no app, so ``accounts`` and ``tasks`` both build on it without importing each other.
"""
