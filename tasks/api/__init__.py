"""
The REST API, version 1 (``/api/v1/``; routes in ``project/api_urls.py``).

``views`` (projects, members, tags) and ``task_views`` (tasks, comments, activity) scope every
lookup with ``visible_to`` and write only through ``tasks.services``; ``errors`` gives every
failure one JSON shape; ``pagination`` is keyset-based; ``idempotency`` replays retried
POSTs; ``schema`` completes the OpenAPI document.
"""
