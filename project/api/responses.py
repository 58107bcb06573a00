"""Answers every API shares the shape of."""

from __future__ import annotations

from rest_framework import status
from rest_framework.response import Response


def created(data: dict, headers: dict[str, str] | None = None) -> Response:
    """
    201 with the new object's address in ``Location``.

    The ``url`` field is DRF's ``Hyperlink``, a ``str`` subclass; WSGI servers that check
    header types strictly (wsgiref, behind ``runserver``) refuse anything but a plain ``str``.
    """
    return Response(
        data,
        status=status.HTTP_201_CREATED,
        headers={**(headers or {}), "Location": str(data["url"])},
    )
