"""
The API reads JSON and nothing else (attachments will be the one multipart exception).

A body nested deeper than Python's decoder can follow raises ``RecursionError``, which is not
a ``ValueError``: DRF's parser let it through as a 500. Here it is a 400 like any other
malformed JSON. (A body over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` is refused by Django while DRF
reads it; ``project.api.errors`` answers that with a 413.)
"""

from __future__ import annotations

from typing import Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - the body is nested too deeply.") from None
