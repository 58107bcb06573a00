"""Redoc, served offline: drf-spectacular's template fetches Google Fonts, this page does not."""

from django.http import HttpResponse
from django.utils.html import format_html
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularRedocView

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


class RedocView(SpectacularRedocView):
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
