"""A real SMTP server (aiosmtpd) on a free local port, and the project's mail pointed at it."""

from __future__ import annotations

import contextlib
import email
import email.policy
import logging
import socket
import threading
import time

import pytest
from aiosmtpd.controller import Controller

from notifications.events import handle_activity
from tasks.models import Activity

logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd: one line per command


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Inbox:
    """What the server received, parsed: a list of ``email.message.EmailMessage``."""

    def __init__(self) -> None:
        self.messages = []
        self.envelopes = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's handler hook
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._lock:
            self.envelopes.append(envelope)
            self.messages.append(message)
        return "250 OK"

    def wait_for(self, count: int, timeout: float = 5) -> list:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.messages


def smtp_mailers(port: int) -> dict:
    return {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 5},
        }
    }


@contextlib.contextmanager
def smtp_server(settings):
    """Start an SMTP server and send the project's mail through it."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        settings.MAILERS = smtp_mailers(controller.port)
        yield inbox
    finally:
        controller.stop()


@pytest.fixture
def smtp(settings):
    """A running SMTP server; the project sends through it."""
    settings.SITE_URL = "https://tasks.example.com"
    settings.DEFAULT_FROM_EMAIL = "Taskdesk <taskdesk@example.com>"
    with smtp_server(settings) as inbox:
        yield inbox


@pytest.fixture
def smtp_down(settings):
    """Mail goes to a port where nothing listens (the server is down)."""
    settings.MAILERS = smtp_mailers(free_port())
    settings.SITE_URL = "https://tasks.example.com"
    return settings.MAILERS


def text_part(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def html_part(message) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


@pytest.fixture
def deliver():
    """Hand every Activity row not yet handled to the consumer, oldest first (as the bus does)."""

    def run():
        for activity in Activity.objects.order_by("id"):
            handle_activity(activity)

    return run
