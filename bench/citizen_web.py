"""The citizen pages as a phone on a slow line sees them: what each page transfers
(before photos and map tiles), and the time from the click on "send" to the tracking
code on screen, p50/p99 over N reports. Drives Debian's Chromium through Playwright.

    make run            # in another terminal: the suite behind the gateway
    uv run python bench/citizen_web.py [--url http://127.0.0.1:8080] [--runs 50]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import time

from playwright.async_api import Page, Request, ViewportSize, async_playwright

PAGES = ("/", "/map", "/stats", "/track")
PHONE: ViewportSize = {"width": 390, "height": 844}
INSIDE = (12.5684, 99.9577)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def weight(page: Page, path: str) -> tuple[int, int]:
    """(bytes transferred, requests) for a cold load of `path`: bodies as sent (gzip)
    plus headers."""
    finished: list[Request] = []

    def done(request: Request) -> None:
        finished.append(request)

    page.on("requestfinished", done)
    await page.goto(path)
    await page.wait_for_load_state("networkidle")
    page.remove_listener("requestfinished", done)
    total = 0
    for request in finished:
        sizes = await request.sizes()
        total += sizes["responseBodySize"] + sizes["responseHeadersSize"]
    return total, len(finished)


async def submit(page: Page, n: int) -> float:
    await page.goto("/")
    await page.fill("#description", f"ไฟถนนดับ ทดสอบความเร็ว {n}")
    await page.fill("#lat", str(INSIDE[0] + (n % 50) * 0.0004))
    await page.fill("#lon", str(INSIDE[1]))
    started = time.perf_counter()
    await page.click("#send")
    await page.wait_for_selector("#tracking-code")
    return (time.perf_counter() - started) * 1000


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default="http://127.0.0.1:8080")
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    chromium = shutil.which("chromium")
    if not chromium:
        raise SystemExit("Debian's chromium is missing: make tools")
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        for path in PAGES:
            context = await browser.new_context(
                base_url=args.url, viewport={"width": 390, "height": 844}
            )
            page = await context.new_page()
            size, requests = await weight(page, path)
            print(f"page {path:8} {size / 1024:6.1f} KB transferred in {requests} requests (cold)")
            await context.close()
        context = await browser.new_context(
            base_url=args.url, viewport={"width": 390, "height": 844}
        )
        page = await context.new_page()
        times = [await submit(page, n) for n in range(args.runs)]
        await browser.close()
    print(
        f"submit click -> tracking code on screen over {len(times)} reports: "
        f"p50 {statistics.median(times):.0f} ms, p99 {percentile(times, 99):.0f} ms, "
        f"max {max(times):.0f} ms"
    )


if __name__ == "__main__":
    asyncio.run(main())
