"""The web page in a real browser: Debian's Chromium driven by Playwright, against the four services
started as processes (the end-to-end tests' stack), one stack for the whole package.

axe-core comes from npm (`tests/browser/package.json`, installed by `make setup`) and is injected by
these tests only; intake never serves it. Every page is also checked for Content-Security-Policy
violations: the strict policy must not break the page.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect, sync_playwright

from tests.e2e.conftest import Stack, running_stack
from tests.infra import ROOT, Endpoints

AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "docs" / "screenshots"
WIDTHS = {"1280": (1280, 900), "390": (390, 844)}
LETTERS = ROOT / "data" / "samples" / "letters"


def chromium_path() -> str:
    found = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.fail("Chromium is not installed: `make setup` installs Debian's chromium")
    return found


@pytest.fixture(scope="package")
def web_stack(infra: Endpoints, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(infra, tmp_path_factory.mktemp("web-stack")) as running:
        yield running


@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    launched = playwright.chromium.launch(executable_path=chromium_path(), args=["--no-sandbox"])
    yield launched
    launched.close()


@dataclass
class Tab:
    """A browser tab on the stack, recording the page's errors and policy violations."""

    page: Page
    base_url: str
    problems: list[str] = field(default_factory=list)

    def open(self, fragment: str = "") -> None:
        self.page.goto(f"{self.base_url}/{fragment}")

    def sign_in(self, key: str) -> None:
        self.open()
        self.page.get_by_label("API key").fill(key)
        self.page.get_by_role("button", name="Sign in").click()
        expect(self.page.get_by_role("button", name="Sign out")).to_be_visible()

    def axe(self) -> list[dict[str, Any]]:
        """axe-core's serious and critical violations on the page as it is now."""
        if not self.page.evaluate("typeof window.axe !== 'undefined'"):
            # Evaluated through the DevTools protocol, which the page's CSP does not govern.
            self.page.evaluate(AXE.read_text(encoding="utf-8") + "\n;true")
        results: dict[str, Any] = self.page.evaluate(
            "axe.run(document, {resultTypes: ['violations']}).then(r => r.violations.map(v => "
            "({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)})))"
            ".then(v => ({violations: v}))"
        )
        return [v for v in results["violations"] if v["impact"] in ("serious", "critical")]

    def check_and_shoot(self, name: str) -> None:
        """At both widths: no serious or critical axe violations, then a full-page screenshot."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for width, (w, h) in WIDTHS.items():
            self.page.set_viewport_size({"width": w, "height": h})
            self.page.wait_for_timeout(150)  # layout settles
            violations = self.axe()
            assert violations == [], f"{name} at {width}px: {violations}"
            overflow = self.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{name} at {width}px scrolls sideways by {overflow}px"
            self.page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"), full_page=True)
        self.page.set_viewport_size({"width": 1280, "height": 900})


def _tab(context: BrowserContext, base_url: str) -> Tab:
    page = context.new_page()
    tab = Tab(page, base_url)
    page.on("pageerror", lambda error: tab.problems.append(f"page error: {error}"))
    page.on(
        "console",
        lambda message: (
            tab.problems.append(f"console: {message.text}")
            if message.type == "error" and "Content Security Policy" in message.text
            else None
        ),
    )
    return tab


@pytest.fixture
def new_tab(browser: Browser, web_stack: Stack) -> Iterator[Callable[[], Tab]]:
    """Tabs in fresh browser contexts (own cookies); each must end without page errors or CSP violations."""
    contexts: list[BrowserContext] = []
    tabs: list[Tab] = []

    def make() -> Tab:
        context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=web_stack.intake)
        contexts.append(context)
        tabs.append(_tab(context, web_stack.intake))
        return tabs[-1]

    yield make
    for context in contexts:
        context.close()
    problems = [problem for tab in tabs for problem in tab.problems]
    assert problems == [], problems


@pytest.fixture
def tab(new_tab: Callable[[], Tab]) -> Tab:
    return new_tab()
