"""
The floor: the cheapest HTML and JSON responses the same Django stack (middleware, WSGI,
gunicorn) can give. Real pages and endpoints are reported as a percentage of these.
"""

from django.http import HttpRequest, HttpResponse, JsonResponse

BARE_HTML = (
    "<!doctype html><html lang=en><head><meta charset=utf-8><title>Bare</title></head>"
    "<body><p>The cheapest page Django can serve.</p></body></html>"
)
BARE_ROWS = [
    {"id": 1, "title": "First", "status": "todo"},
    {"id": 2, "title": "Second", "status": "in_progress"},
    {"id": 3, "title": "Third", "status": "done"},
]


def bare(request: HttpRequest) -> HttpResponse:
    return HttpResponse(BARE_HTML)


def bare_json(request: HttpRequest) -> JsonResponse:
    return JsonResponse(BARE_ROWS, safe=False)
