"""
What the browser tests share: the ``browser`` and ``contexts`` fixtures (the system Chromium,
skipped when missing except under ``CI=true``), a watcher that turns console errors and
Content-Security-Policy violations into test failures, layout and contrast probes,
screenshots, signing a browser in without the login form, and a realistic project to look at.
"""

from __future__ import annotations

import datetime
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Error,
    Page,
    sync_playwright,
)

from tasks import services
from tasks.models import Priority, Project, Status, Task
from tasks.tests.factories import UserFactory

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

ROOT = Path(settings.BASE_DIR)
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
DOCS_SCREENSHOT = ROOT / "docs" / "screenshot.png"

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}
VIEWPORTS = {"phone": PHONE, "desktop": DESKTOP}


def chromium_missing_reason() -> str | None:
    """Why the browser tests cannot run here, or ``None`` when they can."""
    if not CHROMIUM.exists():
        return f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)."
    if not os.access(CHROMIUM, os.X_OK):
        return f"{CHROMIUM} is not executable."
    return None


def running_in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() == "true"


def wants_docs_screenshot() -> bool:
    """The README image is a tracked file: only rewrite it when asked to."""
    return os.environ.get("TASKDESK_UPDATE_DOCS_SCREENSHOT") == "1"


@pytest.fixture(scope="module")
def browser() -> Browser:
    """
    One headless Chromium for a test module; every test opens its own fresh contexts.

    Import it (with ``contexts``) into a browser test module. Module scope rather than session
    scope: Playwright's sync API cannot run twice at once in one thread, so a browser kept
    open for the whole session would stop any other module from starting its own.
    """
    reason = chromium_missing_reason()
    if reason:
        # CI promises browser coverage: there a missing browser is a broken build, not a skip.
        if running_in_ci():
            pytest.fail(f"CI=true but the browser tests cannot run: {reason}", pytrace=False)
        pytest.skip(reason)
    # Playwright's sync API keeps an asyncio event loop running in this thread, and Django
    # refuses ORM calls from a thread with a running loop (SynchronousOnlyOperation). The tests
    # only touch the database between browser calls, never concurrently with them, so the
    # guard is safely off while the browser is open.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
            )
            yield chromium
            chromium.close()


@pytest.fixture
def contexts(browser: Browser):
    """Open fresh browser contexts (``contexts(viewport="phone", ...)``); all closed after."""
    opened = []

    def open_context(**options) -> BrowserContext:
        context = new_context(browser, **options)
        opened.append(context)
        return context

    yield open_context
    for context in opened:
        context.close()


@dataclass
class ConsoleWatcher:
    """
    Everything a page reported as broken: console errors (Chromium logs every CSP violation,
    for instance an inline script or style, as one), uncaught exceptions, failed requests.

    ``check()`` fails the test with the list and starts over, so each page visited is judged on
    its own. ``allow`` holds patterns of messages a test expects (the 404 page's own status).
    """

    page: Page
    problems: list[str] = field(default_factory=list)
    allow: list[re.Pattern[str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.page.on("console", self._on_console)
        self.page.on("pageerror", self._on_page_error)
        self.page.on("requestfailed", self._on_request_failed)

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type not in ("error", "assert"):
            return
        where = message.location.get("url", "") if message.location else ""
        self._add(f"console {message.type}: {message.text} ({where})")

    def _on_page_error(self, error: Error) -> None:
        self._add(f"uncaught exception: {error.message}")

    def _on_request_failed(self, request) -> None:
        failure = request.failure or ""
        # A navigation that replaces the page cancels what the old page was still loading.
        if "ERR_ABORTED" in failure:
            return
        self._add(f"request failed: {request.method} {request.url} {failure}")

    def _add(self, text: str) -> None:
        if not any(pattern.search(text) for pattern in self.allow):
            self.problems.append(text)

    def expect(self, pattern: str) -> None:
        """Accept messages matching ``pattern`` from now on (for pages that must fail)."""
        self.allow.append(re.compile(pattern))

    def check(self, where: str = "") -> None:
        found, self.problems = self.problems, []
        self.allow = []
        where = where or self.page.url
        assert not found, f"{where} reported problems:\n" + "\n".join(found)


def screenshot(page: Page, name: str, *, full_page: bool = True) -> Path:
    """Save ``artifacts/screenshots/<name>.png`` (git-ignored) for people to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page, animations="disabled")
    return path


def sign_in(context: BrowserContext, base_url: str, user) -> None:
    """
    Give the browser a session for ``user`` without going through the login form: only the
    sign-up and logout flows test the forms, every other test starts signed in, faster.
    """
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": base_url}]
    )


def new_context(browser: Browser, *, viewport: str = "desktop", **options) -> BrowserContext:
    options.setdefault("viewport", VIEWPORTS[viewport])
    options.setdefault("locale", "en-GB")
    options.setdefault("timezone_id", "UTC")
    if viewport == "phone":
        options.setdefault("device_scale_factor", 2)
        options.setdefault("is_mobile", True)
        options.setdefault("has_touch", True)
    context = browser.new_context(**options)
    # Short enough that a missing element fails fast, long enough for a loaded CI machine.
    context.set_default_timeout(7_000)
    return context


@dataclass
class Showcase:
    """A lived-in project: what the screenshots and the README show."""

    project: Project
    owner: object
    tasks: list[Task]

    @property
    def open_task(self) -> Task:
        return next(task for task in self.tasks if task.status != Status.DONE and task.tags.all())


SHOWCASE_TASKS = [
    # title, status, priority, due in days (None: no date), assignee index, tag names
    ("Draft the Q3 launch announcement", Status.IN_PROGRESS, Priority.HIGH, 1, 0, ["marketing"]),
    ("Fix login redirect loop on Safari", Status.TODO, Priority.URGENT, -2, 1, ["bug", "web"]),
    ("Migrate reports to the new API", Status.TODO, Priority.MEDIUM, 6, 2, ["backend"]),
    ("Review pricing page copy", Status.TODO, Priority.LOW, 0, 0, ["marketing", "web"]),
    ("Set up error monitoring alerts", Status.IN_PROGRESS, Priority.HIGH, 3, 1, ["ops"]),
    ("Interview candidates for support role", Status.TODO, Priority.MEDIUM, 9, 0, []),
    ("Update onboarding checklist", Status.TODO, Priority.NONE, None, None, ["docs"]),
    ("Replace legacy image uploader", Status.TODO, Priority.MEDIUM, 14, 2, ["backend", "web"]),
    ("Quarterly security review", Status.TODO, Priority.HIGH, -1, 1, ["ops"]),
    ("Write release notes for 2.4", Status.IN_PROGRESS, Priority.MEDIUM, 2, 0, ["docs"]),
    ("Customer survey follow-up", Status.TODO, Priority.LOW, None, None, ["marketing"]),
    ("Archive old staging databases", Status.DONE, Priority.LOW, -3, 2, ["ops"]),
    ("Accessibility audit of the board", Status.DONE, Priority.HIGH, -5, 1, ["web"]),
    ("Rotate API signing keys", Status.DONE, Priority.URGENT, -8, 2, ["ops", "backend"]),
    ("Plan the team offsite", Status.TODO, Priority.NONE, 21, 0, []),
    ("Translate help centre into German", Status.DONE, Priority.MEDIUM, -12, 0, ["docs"]),
]

SHOWCASE_TAGS = {
    "bug": "#dc2626",
    "web": "#2563eb",
    "backend": "#7c3aed",
    "marketing": "#db2777",
    "ops": "#0d9488",
    "docs": "#ca8a04",
}


def build_showcase(owner=None) -> Showcase:
    """
    A project with three people, six tags and sixteen tasks across every status, priority and
    due bucket, made through the domain functions; done tasks are spread over the last
    weeks so that the completion chart has a shape.
    """
    owner = owner or UserFactory(username="maya", display_name="Maya Lindqvist")
    team = [
        owner,
        UserFactory(username="jonas", display_name="Jonas Berg"),
        UserFactory(username="priya", display_name="Priya Raman"),
    ]
    project = services.project_create(
        by=owner,
        name="Website relaunch",
        description="Everything that ships with the new website.",
        colour="#2563eb",
    )
    services.project_create(by=owner, name="Hiring", colour="#16a34a")
    for person in team[1:]:
        services.member_add(project=project, user=person, role="editor", by=owner)
    tags = {
        name: services.tag_create(project=project, name=name, colour=colour, by=owner)
        for name, colour in SHOWCASE_TAGS.items()
    }
    today = timezone.localdate()
    tasks = []
    for title, status, priority, due_in, who, tag_names in SHOWCASE_TASKS:
        task = services.task_create(
            project=project,
            by=owner,
            title=title,
            status=status,
            priority=priority,
            due_date=None if due_in is None else today + datetime.timedelta(days=due_in),
            assignee=None if who is None else team[who],
            tags=[tags[name] for name in tag_names],
        )
        tasks.append(task)
    now = timezone.now()
    done = [task for task in tasks if task.status == Status.DONE]
    for days_ago, task in zip((0, 2, 5, 11), done, strict=False):
        Task.objects.filter(pk=task.pk).update(completed_at=now - datetime.timedelta(days=days_ago))
    return Showcase(project=project, owner=owner, tasks=tasks)


# Every visible piece of text whose colour against the background behind it falls short of
# WCAG AA: 4.5:1, or 3:1 for large text (24 px, or 18.66 px bold). The background is the first
# opaque one found walking up from the text; translucent layers are blended on the way.
LOW_CONTRAST_SCRIPT = """
() => {
  const parse = (value) => {
    const m = value.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return null;
    const parts = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number);
    return { r: parts[0], g: parts[1], b: parts[2], a: parts.length > 3 ? parts[3] : 1 };
  };
  const blend = (top, bottom) => ({
    r: top.r * top.a + bottom.r * (1 - top.a),
    g: top.g * top.a + bottom.g * (1 - top.a),
    b: top.b * top.a + bottom.b * (1 - top.a),
    a: 1,
  });
  const luminance = (c) => {
    const channel = (v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    };
    return 0.2126 * channel(c.r) + 0.7152 * channel(c.g) + 0.0722 * channel(c.b);
  };
  const ratio = (a, b) => {
    const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
    return (hi + 0.05) / (lo + 0.05);
  };
  const background = (el) => {
    const layers = [];
    for (let node = el; node; node = node.parentElement) {
      const colour = parse(getComputedStyle(node).backgroundColor);
      if (colour && colour.a > 0) {
        layers.push(colour);
        if (colour.a >= 1) break;
      }
    }
    let result = { r: 255, g: 255, b: 255, a: 1 };
    for (let i = layers.length - 1; i >= 0; i--) result = blend(layers[i], result);
    return result;
  };
  const problems = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const seen = new Set();
  while (walker.nextNode()) {
    const text = walker.currentNode.textContent.trim();
    const el = walker.currentNode.parentElement;
    if (!text || !el || seen.has(el)) continue;
    seen.add(el);
    if (el.closest("[aria-hidden=true], .visually-hidden, option, svg, [hidden]")) continue;
    const box = el.getBoundingClientRect();
    const shown = el.checkVisibility({ opacityProperty: true, visibilityProperty: true });
    if (!box.width || !box.height || !shown) continue;
    const style = getComputedStyle(el);
    let colour = parse(style.color);
    if (!colour) continue;
    const behind = background(el);
    colour = blend(colour, behind);
    const size = parseFloat(style.fontSize);
    const bold = parseInt(style.fontWeight, 10) >= 700;
    const needed = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
    const found = ratio(colour, behind);
    if (found < needed) {
      problems.push(`${found.toFixed(2)}:1 < ${needed}:1 "${text.slice(0, 40)}" ` +
        `(${el.tagName.toLowerCase()}.${[...el.classList].join(".")}: ${style.color} on ` +
        `rgb(${Math.round(behind.r)}, ${Math.round(behind.g)}, ${Math.round(behind.b)}))`);
    }
  }
  return problems;
}
"""


def low_contrast_text(page: Page) -> list[str]:
    """The visible text on ``page`` that misses WCAG AA contrast, described for a report."""
    return page.evaluate(LOW_CONTRAST_SCRIPT)


SIDEWAYS_SCRIPT = """
() => {
  const root = document.documentElement;
  const width = root.clientWidth;
  if (root.scrollWidth <= width) return null;
  // Name what sticks out: elements past the right edge that no scrolling box clips, or that
  // escape one by absolute positioning (their containing block lies outside it).
  const culprits = [];
  for (const el of document.body.querySelectorAll("*")) {
    const box = el.getBoundingClientRect();
    if (box.right <= width + 1 || !box.width) continue;
    const positioned = ["absolute", "fixed"].includes(getComputedStyle(el).position);
    let clipped = false;
    for (let up = el.parentElement; up && !positioned; up = up.parentElement) {
      if (getComputedStyle(up).overflowX !== "visible") { clipped = true; break; }
    }
    if (!clipped) {
      const text = (el.textContent || "").trim().slice(0, 30);
      culprits.push(`${el.tagName.toLowerCase()}.${[...el.classList].join(".")} "${text}"`);
    }
  }
  return `${root.scrollWidth}px wide on a ${width}px screen; sticking out: ` +
    (culprits.slice(0, 5).join(", ") || "unknown");
}
"""


def sideways_overflow(page: Page) -> str | None:
    """Why the whole page is wider than the screen (a phone layout must not be), or ``None``."""
    return page.evaluate(SIDEWAYS_SCRIPT)


def oversized_hidden_text(page: Page) -> list[str]:
    """
    Screen-reader-only elements that take up room: ``.visually-hidden`` must shrink to a pixel,
    and a table does not (tables ignore ``height`` and ``overflow``), so it stretches the page.
    """
    return page.evaluate(
        """() => [...document.querySelectorAll(".visually-hidden")]
          .map((el) => [el, el.getBoundingClientRect()])
          .filter(([, box]) => box.width > 2 || box.height > 2)
          .map(([el, box]) => `${el.tagName.toLowerCase()}.visually-hidden ` +
            `"${el.textContent.replace(/\\s+/g, " ").trim().slice(0, 30)}" is ` +
            `${Math.round(box.width)}×` +
            `${Math.round(box.height)} px`)"""
    )
