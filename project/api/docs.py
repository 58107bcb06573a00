"""
The OpenAPI document and its two readers, Swagger UI and Redoc, served offline.

Their errors (a 429 above all: the schema is public, so anonymous callers reach the throttle)
are JSON like every other API error, not YAML or an HTML page rendered from an error body.
"""

from django.http import HttpResponse
from django.utils.html import format_html
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)
from rest_framework.renderers import JSONRenderer

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
</head>
<body>
<redoc spec-url="{schema_url}"></redoc>
<script src="{script}"></script>
</body>
</html>
"""


class JSONErrorsMixin:
    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return response


class SchemaView(JSONErrorsMixin, SpectacularAPIView):
    """The OpenAPI 3 document (YAML, or JSON with ``?format=json``)."""


class SwaggerView(JSONErrorsMixin, SpectacularSwaggerSplitView):
    """Swagger UI for the document."""


class RedocView(JSONErrorsMixin, SpectacularRedocView):
    """The API reference; no inline script, no third-party requests."""

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        html = format_html(
            PAGE,
            title=self.title,
            schema_url=self._get_schema_url(request),
            script=self._redoc_standalone(),
        )
        return HttpResponse(html, content_type="text/html; charset=utf-8")
