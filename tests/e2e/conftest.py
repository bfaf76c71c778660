"""Browser end-to-end journeys (Playwright + Debian's chromium against pytest-django's
live server). They run only with QUIZAPP_E2E=1 (`make e2e`): the plain `pytest` run of
`make test` does not collect this directory at all."""

from __future__ import annotations

import os
from collections import defaultdict

import pytest

E2E_ENABLED = os.environ.get("QUIZAPP_E2E") == "1"

if E2E_ENABLED:
    # Playwright's sync API keeps an event loop running in the main thread; the ORM calls
    # the tests make between browser steps would otherwise raise SynchronousOnlyOperation.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


def pytest_ignore_collect(collection_path, config):
    if not E2E_ENABLED:
        return True
    return None


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    from tests.e2e.support import CHROMIUM, CHROMIUM_ARGS

    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium", pytrace=False)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def base_url(live_server):
    return live_server.url


_STATIC_PREFLIGHT: dict[str, str] = {}


def _static_preflight(browser, base_url: str) -> str:
    """Once per run: every stylesheet and script the base template links must load. A
    missing site.css or htmx.min.js leaves an unstyled site whose htmx journeys time out
    far from the cause, so say it once, plainly, before any journey runs."""
    if "result" not in _STATIC_PREFLIGHT:
        context = browser.new_context()
        page = context.new_page()
        failed: list[str] = []
        page.on(
            "response",
            lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 and "/static/" in r.url else None,
        )
        page.goto(f"{base_url}/accounts/login/")
        page.wait_for_load_state("load")
        assets = page.evaluate(
            """() => [...document.querySelectorAll('link[rel=stylesheet][href], script[src]')]
                       .map(e => e.getAttribute('href') || e.getAttribute('src'))"""
        )
        context.close()
        _STATIC_PREFLIGHT["result"] = (
            "static files the base template links did not load: "
            + "; ".join(failed)
            + f" (assets linked: {', '.join(assets)}). Every journey needs the site's CSS and htmx; "
            "check that `manage.py findstatic` finds them (STATICFILES_DIRS / INSTALLED_APPS)."
            if failed
            else ""
        )
    return _STATIC_PREFLIGHT["result"]


@pytest.fixture
def context(browser, transactional_db, live_server):
    """A fresh browser profile per test. CSP is bypassed only so axe-core can be injected.
    Any uncaught page error, any static file that fails to load, or any dialog
    (alert/confirm/prompt) fails the test."""
    from tests.e2e.support import LAPTOP, REPORT

    broken_static = _static_preflight(browser, live_server.url)
    if broken_static:
        pytest.fail(broken_static, pytrace=False)
    context = browser.new_context(viewport=LAPTOP, bypass_csp=True, accept_downloads=True)
    context.set_default_timeout(10_000)
    problems: list[str] = []

    def static_status(response):
        if "/static/" in response.url and response.status >= 400:
            problems.append(f"static file {response.url} answered {response.status}")

    def console(msg):
        # "Failed to load resource" repeats a status the journeys already assert on (the
        # 403s, the stale tab's 409) or that `static_status` catches; keep the rest.
        if msg.type == "error" and not msg.text.startswith("Failed to load resource"):
            REPORT.console_errors.append(f"{msg.text} [{msg.location.get('url', '')}]")

    def watch(page):
        page.on("pageerror", lambda exc: problems.append(f"uncaught page error on {page.url}: {exc}"))
        page.on("response", static_status)
        page.on("console", console)

    def dialog(d):
        problems.append(f"unexpected {d.type} dialog on {d.page.url if d.page else '?'}: {d.message!r}")
        d.dismiss()

    context.on("page", watch)
    context.on("dialog", dialog)
    yield context
    context.close()
    assert not problems, "\n".join(problems)


@pytest.fixture
def page(context):
    return context.new_page()


@pytest.fixture
def axe():
    from tests.e2e.support import Axe

    return Axe()


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not E2E_ENABLED:
        return
    from tests.e2e.support import KNOWN_APP_VIOLATIONS, KNOWN_SEEN, REPORT

    tr = terminalreporter
    tr.section("axe-core accessibility report")
    tr.write_line(f"{len(REPORT.pages_checked)} page states checked.")
    pages: dict[tuple, set] = defaultdict(set)
    nodes: dict[tuple, dict] = defaultdict(dict)
    for v in REPORT.axe:
        key = (v["impact"], v["id"], v["help"])
        pages[key].add(v["page"])
        for target, detail, known in zip(v["targets"], v["details"], v["known"], strict=True):
            nodes[key].setdefault(target, (detail, known))
    order = {"critical": 0, "serious": 1, "moderate": 2, "minor": 3}
    if not pages:
        tr.write_line("No violations of any impact.")
    for key in sorted(pages, key=lambda k: (order.get(k[0], 9), k[1])):
        impact, rule, help_text = key
        tr.write_line(f"[{impact}] {rule}: {help_text}")
        tr.write_line(f"    on: {', '.join(sorted(pages[key]))}")
        for target in sorted(nodes[key])[:12]:
            detail, known = nodes[key][target]
            tag = f" [known app bug: {known}]" if known else ""
            tr.write_line(f"    - {detail[:200]}{tag}")
    stale = sorted(set(KNOWN_APP_VIOLATIONS) - KNOWN_SEEN)
    if REPORT.pages_checked and stale:
        tr.write_line(
            f"KNOWN_APP_VIOLATIONS not seen in this run (fixed? delete them in support.py): {', '.join(stale)}"
        )
    if REPORT.overflow:
        tr.section("horizontal overflow at the phone width")
        for line in REPORT.overflow:
            tr.write_line(line)
    if REPORT.console_errors:
        tr.section("browser console errors")
        for line in sorted(set(REPORT.console_errors)):
            tr.write_line(line)
    if REPORT.screenshots:
        tr.section("screenshots")
        tr.write_line(f"docs/screenshots/: {', '.join(sorted(set(REPORT.screenshots)))}")
