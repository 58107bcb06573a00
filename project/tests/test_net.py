"""
``project.net.client_ip``: the client address for lockouts, throttles and logs (DESIGN §11).
X-Forwarded-For is believed only through the proxies ``TRUSTED_PROXIES`` names, read from the
right; whatever a client wrote into the header itself is never the answer.
"""

import subprocess
import sys
from pathlib import Path

import pytest
from django.test import RequestFactory

from project.net import client_ip, parse_networks

factory = RequestFactory()


def ip(remote: str, forwarded: str | None = None) -> str:
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_ip(factory.get("/", **extra))


@pytest.fixture
def behind(settings):
    def trust(value):
        settings.TRUSTED_PROXIES = value if isinstance(value, list) else value.split(",")

    return trust


def test_without_trusted_proxies_the_socket_address_is_the_client(settings):
    settings.TRUSTED_PROXIES = []
    assert ip("203.0.113.7") == "203.0.113.7"
    assert ip("203.0.113.7", "198.51.100.1") == "203.0.113.7"
    assert ip("127.0.0.1", "198.51.100.1") == "127.0.0.1"


def test_through_a_trusted_proxy_the_forwarded_address_is_the_client(behind):
    behind("127.0.0.1")
    assert ip("127.0.0.1", "198.51.100.1") == "198.51.100.1"
    assert ip("127.0.0.1", " 198.51.100.1 ") == "198.51.100.1"


def test_a_request_that_bypasses_the_proxy_is_not_believed(behind):
    behind("127.0.0.1")
    assert ip("203.0.113.7", "198.51.100.1") == "203.0.113.7"


def test_what_the_client_wrote_is_left_of_what_the_proxy_appended(behind):
    behind("127.0.0.1")
    # The client sent "X-Forwarded-For: 1.2.3.4"; nginx appended the real address.
    assert ip("127.0.0.1", "1.2.3.4, 198.51.100.1") == "198.51.100.1"
    assert ip("127.0.0.1", "127.0.0.1, 198.51.100.1") == "198.51.100.1"


def test_a_chain_of_trusted_proxies_and_networks(behind):
    behind("127.0.0.1, 10.0.0.0/8")
    assert ip("127.0.0.1", "1.2.3.4, 198.51.100.1, 10.1.2.3, 10.9.9.9") == "198.51.100.1"
    # An untrusted hop in the middle is the client: the hops to its left are its own words.
    assert ip("127.0.0.1", "10.1.1.1, 198.51.100.1, 10.1.2.3") == "198.51.100.1"


def test_when_every_hop_is_trusted_the_leftmost_is_the_client(behind):
    behind("10.0.0.0/8")
    assert ip("10.0.0.1", "10.0.0.3, 10.0.0.2") == "10.0.0.3"


def test_ipv6(behind):
    behind("::1, fd00::/8")
    assert ip("::1", "2001:db8::1") == "2001:db8::1"
    assert ip("::1", "2001:db8::1, fd00::5") == "2001:db8::1"
    assert ip("::1", "[2001:db8::2]:4711") == "2001:db8::2"
    assert ip("2001:db8::9", "198.51.100.1") == "2001:db8::9"
    # An IPv4-mapped socket address is the IPv4 address.
    behind("127.0.0.1")
    assert ip("::ffff:127.0.0.1", "198.51.100.1") == "198.51.100.1"


def test_ports_are_dropped(behind):
    behind("127.0.0.1")
    assert ip("127.0.0.1", "198.51.100.1:5555") == "198.51.100.1"


@pytest.mark.parametrize(
    "garbage",
    ["", " , ", "unknown", "not-an-ip, ", "1.2.3.4, junk", "999.1.1.1", "x" * 5000, "\x00",
     "1.2.3.4,,", "1.2.3.4%eth0junk, ::1::"],
)  # fmt: skip
def test_garbage_never_becomes_the_client(behind, garbage):
    behind("127.0.0.1")
    assert ip("127.0.0.1", garbage) in {"127.0.0.1", "1.2.3.4"}
    assert ip("203.0.113.7", garbage) == "203.0.113.7"


def test_garbage_to_the_left_of_the_client_is_never_reached(behind):
    behind("127.0.0.1")
    assert ip("127.0.0.1", "junk, 198.51.100.1") == "198.51.100.1"


def test_a_missing_or_broken_socket_address(settings):
    settings.TRUSTED_PROXIES = []
    assert ip("") == "0.0.0.0"
    assert ip("garbage") == "0.0.0.0"


def test_settings_are_parsed_as_addresses_and_networks():
    assert [str(n) for n in parse_networks("127.0.0.1, 10.0.0.0/8,,fd00::/8")] == [
        "127.0.0.1/32",
        "10.0.0.0/8",
        "fd00::/8",
    ]
    with pytest.raises(ValueError, match="'nginx'"):
        parse_networks("127.0.0.1,nginx")


def test_a_bad_setting_stops_the_start_in_one_sentence():
    done = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env={"DJANGO_SETTINGS_MODULE": "project.settings", "TRUSTED_PROXIES": "proxy.local",
             "PATH": "/usr/bin:/bin", "DOTENV_FILE": ""},
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=60,
    )  # fmt: skip
    assert done.returncode != 0
    assert "TRUSTED_PROXIES: 'proxy.local' is neither an address nor a network" in done.stderr


def test_allauth_takes_the_same_address(behind):
    """Its rate limits (sign-up, failed sign-ins) and "Your sessions" use client_ip too."""
    from allauth.account.adapter import get_adapter

    behind("127.0.0.1")
    request = factory.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4, 5.6.7.8")
    assert get_adapter(request).get_client_ip(request) == "5.6.7.8"
