"""Browser fixtures: the bundled corpus indexed once, the production server, Debian's Chromium via Playwright."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Error,
    Page,
    Playwright,
    expect,
    sync_playwright,
)

from tests.browser.chromium import INSTALL_HINT, chromium_path, missing_chromium_reason
from tests.browser.reader import DESKTOP, PHONE, Problems
from tests.factories import CORPUS, index_with_cli, serve

HERE = Path(__file__).resolve().parent
# Generous for a shared 2-core machine; a reader's step that takes longer than this has failed.
STEP_TIMEOUT_MS = 15_000

# Every document reports its CSP violations to the console, where the `problems` fixture hears them.
REPORT_CSP = """
document.addEventListener("securitypolicyviolation", (e) => {
  console.error("CSP violation: " + e.violatedDirective + " blocked " + (e.blockedURI || "inline"));
});
"""

expect.set_options(timeout=STEP_TIMEOUT_MS)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip every browser test, with the reason, when no Chromium is installed."""
    reason = missing_chromium_reason()
    if reason is None:
        return
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """Debian's Chromium, headless; a skip (not an error) when Playwright cannot start it."""
    executable = chromium_path()
    if executable is None:  # only reached when the collection hook was bypassed
        pytest.skip(missing_chromium_reason() or INSTALL_HINT)
    try:
        browser = playwright.chromium.launch(executable_path=executable, headless=True)
    except Error as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        pytest.skip(f"Playwright could not launch Chromium at {executable}: {first_line}")
    yield browser
    browser.close()


@pytest.fixture(scope="session")
def live_server(browser: Browser, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The bundled corpus indexed with the indexer CLI, served by `python -m search_app`; its base URL."""
    root = tmp_path_factory.mktemp("browser")
    with serve(index_with_cli(CORPUS, root / "index"), root / "server.log") as base:
        yield base


@pytest.fixture
def problems() -> Problems:
    return Problems()


def new_context(browser: Browser, base_url: str, problems: Problems, **options: object) -> BrowserContext:
    """A fresh context (no cookies, no cache) that reports its problems."""
    context = browser.new_context(base_url=base_url, locale="ja-JP", **options)  # type: ignore[arg-type]
    context.set_default_timeout(STEP_TIMEOUT_MS)
    context.add_init_script(REPORT_CSP)
    context.on("console", problems.console)
    context.on("weberror", lambda web_error: problems.page_error(web_error.error))
    return context


@pytest.fixture
def context(browser: Browser, live_server: str, problems: Problems) -> Iterator[BrowserContext]:
    context = new_context(browser, live_server, problems, viewport=DESKTOP)
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


@pytest.fixture
def phone_page(browser: Browser, live_server: str, problems: Problems) -> Iterator[Page]:
    context = new_context(browser, live_server, problems, viewport=PHONE, is_mobile=True, has_touch=True)
    yield context.new_page()
    context.close()


@pytest.fixture
def nojs_page(browser: Browser, live_server: str, problems: Problems) -> Iterator[Page]:
    context = new_context(browser, live_server, problems, viewport=DESKTOP, java_script_enabled=False)
    yield context.new_page()
    context.close()
