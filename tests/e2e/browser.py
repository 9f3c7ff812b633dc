"""The browser the e2e tests drive: Debian's Chromium through Playwright, in contexts that
may reach only this machine; axe-core's verdict on a page; screenshots on request. Its
fixtures (`system_chromium`, `context`) are offered to every e2e module by conftest."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from playwright.async_api import Browser, BrowserContext, Page, ViewportSize, async_playwright

if TYPE_CHECKING:
    from tests.e2e.conftest import Suite

ROOT = Path(__file__).resolve().parents[2]
PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
AXE = ROOT / "services" / "web" / "node_modules" / "axe-core" / "axe.min.js"


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    assert found, "Debian's chromium is not installed: `make tools` installs it"
    return found


@pytest.fixture(scope="module")
async def system_chromium() -> AsyncIterator[Browser]:
    async with async_playwright() as p:
        launched = await p.chromium.launch(executable_path=chromium(), args=["--no-sandbox"])
        try:
            yield launched
        finally:
            await launched.close()


async def local_only(
    browser: Browser, suite: Suite, viewport: ViewportSize, locale: str = "th-TH"
) -> AsyncIterator[BrowserContext]:
    """A fresh browser context (its own cookies) that may reach only this machine."""
    made = await browser.new_context(
        viewport=viewport, locale=locale, base_url=suite.gateway_url, has_touch=False
    )
    outside: list[str] = []

    async def only_local(route: Any) -> None:
        url = route.request.url
        if url.startswith(("http://127.0.0.1", "data:", "blob:")):
            await route.continue_()
        else:
            outside.append(url)
            await route.abort()

    await made.route("**/*", only_local)
    try:
        yield made
    finally:
        await made.close()
    assert not outside, f"the pages asked hosts outside this machine: {outside}"


@pytest.fixture
async def context(system_chromium: Browser, suite: Suite) -> AsyncIterator[BrowserContext]:
    """A phone-sized browser, as most citizens have."""
    async for made in local_only(system_chromium, suite, PHONE):
        yield made


async def screenshot(page: Page, name: str) -> None:
    folder = os.environ.get("KANDOO_SCREENSHOTS")
    if folder:
        # Playwright creates the folder.
        await page.screenshot(path=os.path.join(folder, f"{name}.png"), full_page=True)


async def click_map(page: Page, map_id: str, lat: float, lon: float) -> None:
    point = await page.evaluate(
        "([id, lat, lon]) => { const m = KandooGeo.maps[id];"
        " m.setView([lat, lon], 17, {animate: false});"
        " const p = m.latLngToContainerPoint([lat, lon]); return {x: p.x, y: p.y}; }",
        [map_id, lat, lon],
    )
    await page.locator(f"#{map_id}").click(position=point)


async def axe(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it stands."""
    await page.add_script_tag(path=str(AXE))
    found = await page.evaluate("async () => (await axe.run(document)).violations")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:3]}
        for v in found
        if v["impact"] in ("serious", "critical")
    ]
