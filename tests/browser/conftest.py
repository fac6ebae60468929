"""Browser fixtures: a live server with the demo city, Debian's Chromium, and a console guard.

These tests build their own app on their own SQLite file (they do not use the database-backend
fixtures of tests/conftest.py), so they run once per test session whatever the backends are.

Every page a test opens is watched: a console error, an uncaught script error or a
Content-Security-Policy violation fails the test. The app sends a strict CSP (no inline script or
style), so this is what catches an inline-script regression or a stylesheet that failed to load.
A test that expects an error response (a 403 or 401 page, which Chromium logs as a failed
resource) says so with `console_guard.allow(...)`.
"""
from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pyotp
import pytest
from flask_migrate import upgrade
from playwright.sync_api import Browser, Page, sync_playwright
from werkzeug.serving import WSGIRequestHandler, make_server

from contracts_app import create_app
from contracts_app.demo.city import DEMO_PASSWORD, DEMO_TOTP_SECRET
from models import db

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT_DIR = PROJECT_ROOT / "test-artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
VIEWPORT = {"width": 1280, "height": 800}

# Reports CSP violations with their directive, in case a Chromium build stops logging them itself.
# (Init scripts are injected by the browser driver, so the page's CSP does not block this one.)
CSP_LISTENER = """
document.addEventListener('securitypolicyviolation', (e) => {
  console.error('CSP violation: ' + e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline') +
                ' at ' + e.sourceFile + ':' + e.lineNumber);
});
"""


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keeps each phase's report on the test item, so fixtures can tell whether the test failed."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


class QuietRequestHandler(WSGIRequestHandler):
    """Leaves out the one-line-per-request access log; errors are still logged."""

    def log_request(self, code="-", size="-") -> None:
        pass


@contextmanager
def demo_city_server(tmp_path_factory, name: str, overrides: dict | None = None, *,
                     prepare: Callable[[], None] | None = None, **more) -> Iterator[str]:
    """The app with the demo city on a fresh SQLite file, served on a free local port.

    `overrides` (or keyword arguments) are more config, e.g. JOBS_EMBEDDED_WORKER=True for a server that runs
    its own jobs; `prepare` adds data through the services, in the app context, before the server starts.
    """
    data_dir = tmp_path_factory.mktemp(name)
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "browser-test-secret-key-not-for-production",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{data_dir / 'browser.sqlite3'}",
            "SESSION_COOKIE_SECURE": False,
            "REMEMBER_COOKIE_SECURE": False,
            "UPLOAD_FOLDER": str(data_dir / "uploads"),
            "JOBS_REDIS_URL": "",
            "JOBS_SQLITE_PATH": str(data_dir / "queue.sqlite3"),
            # The demo users sign in many times within one 30-second TOTP step across these tests.
            "MFA_REPLAY_PROTECTION": False,
            **(overrides or {}),
            **more,
        }
    )
    with app.app_context():
        upgrade()
        from contracts_app.demo.seed import seed_demo

        seed_demo()
        if prepare is not None:
            prepare()
        db.session.commit()
        db.session.remove()

    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietRequestHandler)
    thread = threading.Thread(target=server.serve_forever, name=f"{name}-live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        if "jobs_consumer" in app.extensions:
            consumer, watcher = app.extensions["jobs_consumer"]
            watcher.stopped.set()
            consumer.stop(graceful=True)
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory) -> Iterator[str]:
    """The demo city shared by tests that only read."""
    with demo_city_server(tmp_path_factory, "browser-db") as url:
        yield url


@pytest.fixture(scope="module")
def city_server(tmp_path_factory, request) -> Iterator[str]:
    """A private copy of the demo city for one test module that changes data (commits, approvals);
    a module may set SERVER_CONFIG = {...} for settings of its own (e.g. ALLOW_SELF_APPROVAL)."""
    overrides = getattr(request.module, "SERVER_CONFIG", None)
    with demo_city_server(tmp_path_factory, "browser-city", overrides) as url:
        yield url


@pytest.fixture(scope="session")
def browser() -> Browser:
    if not os.path.exists(CHROMIUM):
        pytest.fail(
            f"The browser tests need Debian's Chromium at {CHROMIUM} (Playwright cannot download its own "
            "browser here). Install it with: apt-get install -y chromium   (or run `make browser-deps`)",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


class ConsoleGuard:
    """Collects console errors, uncaught page errors and CSP violations of one test's pages."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self._allowed: list[re.Pattern] = []

    def allow(self, pattern: str) -> None:
        """Tolerate console errors matching `pattern` (a regex), e.g. the 403 a test asks for."""
        self._allowed.append(re.compile(pattern))

    def watch(self, page: Page) -> None:
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.problems.append(f"uncaught page error: {error}"))

    def _on_console(self, message) -> None:
        if message.type != "error":
            return
        location = message.location or {}
        self.problems.append(f"console error: {message.text} (at {location.get('url', '?')})")

    def unexpected(self) -> list[str]:
        return [p for p in self.problems if not any(rx.search(p) for rx in self._allowed)]


@pytest.fixture
def console_guard() -> ConsoleGuard:
    return ConsoleGuard()


@pytest.fixture
def page(browser: Browser, console_guard: ConsoleGuard, request) -> Page:
    """A fresh browser context (no cookies) and page; fails the test on any console error."""
    context = browser.new_context(viewport=VIEWPORT, locale="en-US", timezone_id="UTC")
    context.set_default_timeout(10_000)
    context.add_init_script(CSP_LISTENER)
    page = context.new_page()
    console_guard.watch(page)
    try:
        yield page
        failed = getattr(request.node, "rep_call", None)
        if failed is not None and failed.failed:
            save_screenshot(page, f"FAILED-{_safe_name(request.node.name)}")
        problems = console_guard.unexpected()
        if problems:
            pytest.fail(
                "The browser reported errors (inline script/style blocked by the CSP, a missing asset, "
                "or a script error):\n  " + "\n  ".join(problems),
                pytrace=False,
            )
    finally:
        context.close()


def _safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-")


def save_screenshot(page: Page, name: str, full_page: bool = True) -> Path:
    """A PNG (by default of the whole page) under test-artifacts/screenshots/ (git-ignored)."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOT_DIR / f"{_safe_name(name)}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def sign_in(page: Page, base_url: str, email: str, password: str = DEMO_PASSWORD,
            totp_secret: str | None = DEMO_TOTP_SECRET) -> None:
    """Signs in through the real sign-in form, as a person would, and waits for the next page; when the
    app asks for the second step, types the current code of `totp_secret` (the published demo key)."""
    page.goto(f"{base_url}/auth/sign-in")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    if totp_secret and page.get_by_role("heading", name="Two-step sign-in").count():
        page.get_by_label("Authentication code").fill(pyotp.TOTP(totp_secret).now())
        with page.expect_navigation():
            page.get_by_role("button", name="Verify").click()


# ---------------------------------------------------------------------------------------------------------
# Accessibility: axe-core (shipped inside axe-playwright-python, no network) and the 390-px phone check.

AXE_BLOCKING_IMPACTS = ("serious", "critical")
PHONE_VIEWPORT = {"width": 390, "height": 844}


def axe_violations(page: Page) -> list[str]:
    """The page's serious and critical axe-core findings, one line each: rule, impact, help and targets."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page).response
    found = []
    for violation in results["violations"]:
        if violation["impact"] not in AXE_BLOCKING_IMPACTS:
            continue
        targets = ", ".join(" ".join(node["target"]) if isinstance(node["target"], list) else str(node["target"])
                            for node in violation["nodes"][:6])
        more = f" (+{len(violation['nodes']) - 6} more)" if len(violation["nodes"]) > 6 else ""
        found.append(f"{violation['id']} [{violation['impact']}] {violation['help']}: {targets}{more}")
    return found


def phone_width(page: Page) -> int:
    """How wide the page is laid out on a 390-px phone (the document's scroll width); the viewport is put
    back afterwards."""
    before = page.viewport_size
    page.set_viewport_size(PHONE_VIEWPORT)
    try:
        return int(page.evaluate("document.documentElement.scrollWidth"))
    finally:
        if before:
            page.set_viewport_size(before)


def accessibility_problems(page: Page, *, phone: bool = True) -> list[str]:
    """Serious/critical axe findings at the desktop size and on a phone, and a page that scrolls sideways on a
    390-px phone; an empty list when there is nothing to fix."""
    problems = axe_violations(page)
    if phone:
        before = page.viewport_size
        page.set_viewport_size(PHONE_VIEWPORT)
        try:
            width = int(page.evaluate("document.documentElement.scrollWidth"))
            if width > PHONE_VIEWPORT["width"]:
                problems.append(f"scrolls sideways on a 390-px phone: the page is {width} px wide")
            problems += [f"on a phone: {p}" for p in axe_violations(page) if p not in problems]
        finally:
            if before:
                page.set_viewport_size(before)
    return problems


def expect_accessible(page: Page, *, phone: bool = True) -> None:
    """Fails the test on any serious or critical axe-core finding, or a page wider than a 390-px phone."""
    problems = accessibility_problems(page, phone=phone)
    if problems:
        pytest.fail(f"{page.url} has accessibility problems:\n  " + "\n  ".join(problems), pytrace=False)
