"""
The tasks app's part of the REST API, version 1 (``/api/v1/``; routes in ``project/api_urls.py``).

``views`` (projects, members, tags) and ``task_views`` (tasks, comments, activity) scope every
lookup with ``visible_to`` and write only through ``tasks.services``; ``pagination`` holds the
task and member orderings. The plumbing shared with other apps (errors, keyset pagination,
schema) lives in ``project.api``.
"""
