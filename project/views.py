import logging

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.template import loader
from django.templatetags.static import static
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)

#: Seconds a client is asked to wait before retrying while the database is away.
RETRY_AFTER_SECONDS = 5


def database_reachable(alias: str = DEFAULT_DB_ALIAS) -> bool:
    """Whether the database answers a trivial query now, on a fresh connection if need be."""
    connection = connections[alias]
    try:
        # A connection broken by a restart of the server would fail however the server is
        # now; drop it so that the probe says whether a new one can be made.
        if connection.connection is not None and not connection.is_usable():
            connection.close()
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return False
    return True


def service_unavailable(request: HttpRequest) -> HttpResponse:
    """
    503 with ``Retry-After``: the one-shape JSON error under ``/api/``, a plain page elsewhere.
    Neither touches the database: the page is rendered without a request context.
    """
    if request.path.startswith("/api/"):
        response = JsonResponse(
            {
                "detail": "The service is briefly unavailable; retry in a few seconds.",
                "errors": {},
            },
            status=503,
        )
    else:
        response = HttpResponse(loader.render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


@never_cache
@require_GET
def healthz(request):
    """200 when the database answers a trivial query, 503 when it does not."""
    if not database_reachable():
        response = JsonResponse({"status": "unavailable", "database": "down"}, status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    return JsonResponse({"status": "ok"})


def favicon(request):
    """Browsers ask for /favicon.ico on pages that name no icon (the admin's, the API docs)."""
    # Resolved per request, not at import: the hashed name exists only after collectstatic.
    return HttpResponsePermanentRedirect(static("img/favicon.svg"))
