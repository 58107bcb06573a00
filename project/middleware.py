"""
While the database is away, every page and endpoint answers 503 with ``Retry-After`` instead
of a 500: the outage is ours, brief, and a retry will work; a 500 says the request is wrong.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse

from project.views import database_reachable, service_unavailable

logger = logging.getLogger(__name__)

# Errors that a retry cures even while the server is up: SQLite's write lock still taken when
# the busy timeout ran out, and PostgreSQL's serialization failures, deadlocks, lock timeouts,
# shutdowns, a full connection table and a server that only reads (a standby during a
# failover): SQLSTATE classes 40 and 53, 55P03, 57P* and 25006.
TRANSIENT_MESSAGES = ("database is locked", "database table is locked")
TRANSIENT_SQLSTATES = ("40", "53", "55P03", "57P", "25006")


def is_transient(exception: BaseException) -> bool:
    """Whether a retry in a few seconds would most likely succeed."""
    cause = exception.__cause__  # the driver's own error, which carries the SQLSTATE
    if any(message in str(exception) for message in TRANSIENT_MESSAGES):
        return True
    code = getattr(cause, "pgcode", None) or ""
    return bool(code) and code.startswith(TRANSIENT_SQLSTATES)


class DatabaseUnavailableMiddleware:
    """
    Sits outside the session and authentication middleware, which are the first to query. An
    error a view raises is judged here directly; one raised by an inner middleware has already
    become a 500 by the time it gets here, so a 500 is checked against a probe of the database.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code == 500 and not database_reachable():
            logger.warning("Database unreachable: %s %s answered 503", request.method, request.path)
            return service_unavailable(request)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        # An outage is an error that a retry cures, or a connection error while the database
        # cannot be reached. Anything else (an IntegrityError, a ProgrammingError) is a bug:
        # Django logs it and answers 500.
        outage = isinstance(exception, DatabaseError) and (
            is_transient(exception)
            or (
                isinstance(exception, OperationalError | InterfaceError)
                and not database_reachable()
            )
        )
        if not outage:
            return None
        logger.warning(
            "Database unavailable (%s): %s %s answered 503", exception, request.method, request.path
        )
        return service_unavailable(request)
