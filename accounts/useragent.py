"""A browser's User-Agent header in a few words, for "Your sessions": "Firefox on Linux"."""

from __future__ import annotations

import re

# First match wins: browsers that also claim "Chrome" or "Safari" come before those names.
_BROWSERS = [
    (r"\bEdg(?:e|A|iOS)?/", "Edge"),
    (r"\bOPR/|\bOpera\b", "Opera"),
    (r"\bSamsungBrowser/", "Samsung Internet"),
    (r"\bVivaldi/", "Vivaldi"),
    (r"\bYaBrowser/", "Yandex Browser"),
    (r"\bFirefox/|\bFxiOS/", "Firefox"),
    (r"\bHeadlessChrome/", "Headless Chrome"),
    (r"\bChrome/|\bCriOS/|\bChromium/", "Chrome"),
    (r"\bVersion/[\d.]+.*\bSafari/", "Safari"),
    (r"\bMSIE |\bTrident/", "Internet Explorer"),
    (r"^curl/", "curl"),
    (r"^python-requests/|^python-httpx/|^Python-urllib/", "Python"),
]
_SYSTEMS = [
    (r"\bAndroid\b", "Android"),
    (r"\biPhone\b|\biPod\b", "iPhone"),
    (r"\biPad\b", "iPad"),
    (r"\bCrOS\b", "ChromeOS"),
    (r"\bWindows\b", "Windows"),
    (r"\bMac OS X\b|\bMacintosh\b", "macOS"),
    (r"\bLinux\b|\bX11\b", "Linux"),
]


def describe_user_agent(user_agent: str) -> str:
    """ "Chrome on Linux", "Safari on iPhone", "Firefox", or "Unknown browser"."""
    user_agent = user_agent or ""
    browser = next((name for pattern, name in _BROWSERS if re.search(pattern, user_agent)), None)
    system = next((name for pattern, name in _SYSTEMS if re.search(pattern, user_agent)), None)
    if browser and system:
        return f"{browser} on {system}"
    if browser or system:
        return browser or f"A browser on {system}"
    return "Unknown browser"
