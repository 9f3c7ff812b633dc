"""The citizen pages in a real browser (Debian's Chromium, headless, through Playwright)
against the real services behind the gateway: report with a photo and a pin, track,
rate, "me too", the out-of-area refusal, the English toggle, a keyboard-only report,
and axe-core on every page. Screenshots at phone width go to `KANDOO_SCREENSHOTS` (the
README's are made with `KANDOO_SCREENSHOTS=docs/screenshots`)."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import httpx
import yaml
from PIL import Image
from playwright.async_api import (
    Browser,
    BrowserContext,
    Page,
    expect,
)

from kandoo.events.values import Actor, Role
from tests.e2e.browser import PHONE, axe, click_map, screenshot
from tests.e2e.conftest import ROOT, Suite
from tests.e2e.test_gateway_open311 import eventually

INSIDE = (12.5684, 99.9577)  # the clock tower
OUTSIDE = (12.5600, 99.9900)  # in the sea, east of the municipality
MESSAGES = yaml.safe_load(
    (ROOT / "services/web/src/kandoo/web/domain/messages.yaml").read_text(encoding="utf-8")
)
ENGINEERING = Actor(id="eng-admin-1", role=Role.DEPT_ADMIN, department="engineering")
CODE = re.compile(r"^[A-Z]{2}-[0-9A-Z]{4}-[0-9A-Z]{2}$")


def big_photo(tmp: Path) -> Path:
    path = tmp / "road.jpg"
    image = Image.new("RGB", (3200, 2400), (120, 110, 100))
    image.save(path, quality=90)
    return path


async def report(page: Page, text: str, at: tuple[float, float] = INSIDE) -> str:
    await page.goto("/")
    await page.fill("#description", text)
    await click_map(page, "pick-map", *at)
    await page.click("#send")
    await page.wait_for_url(re.compile(r"/submitted/"))
    return (await page.text_content("#tracking-code") or "").strip()


async def act(suite: Suite, complaint_id: str, action: str, body: dict[str, Any] | None) -> None:
    answer = await suite.intake.post(
        f"/v1/complaints/{complaint_id}/{action}", json=body, headers=suite.bearer(ENGINEERING)
    )
    assert answer.status_code == 200, answer.text


async def tracked(suite: Suite, code: str, status: str | None = None) -> dict[str, Any]:
    async def check() -> dict[str, Any]:
        found = await suite.reporting.get(f"/v1/track/{code}")
        assert found.status_code == 200
        body: dict[str, Any] = found.json()
        assert status is None or body["status"] == status
        return body

    result: dict[str, Any] = await eventually(check)
    return result


async def test_a_thai_report_with_a_photo_is_tracked_resolved_and_rated(
    suite: Suite, context: BrowserContext, tmp_path: Path
) -> None:
    page = await context.new_page()
    await page.goto("/")
    await expect(page.locator("html")).to_have_attribute("lang", "th")
    await screenshot(page, "report")
    await page.fill("#description", "ถนนเป็นหลุมใหญ่หน้าหอนาฬิกา รถมอเตอร์ไซค์ล้มแล้ว")
    await click_map(page, "pick-map", *INSIDE)
    assert abs(float(await page.input_value("#lat")) - INSIDE[0]) < 0.0005
    await page.set_input_files("#photos", str(big_photo(tmp_path)))
    await expect(page.locator("#previews img")).to_have_count(1)
    await page.click("#send")
    await page.wait_for_url(re.compile(r"/submitted/"))
    code = (await page.text_content("#tracking-code") or "").strip()
    assert CODE.match(code), code
    assert f"/t/{code}?k=" in await page.input_value("#link")
    await screenshot(page, "submitted")

    view = await tracked(suite, code, "routed")
    assert view["department"] == "engineering"
    await page.goto(f"/t/{code}")
    await expect(page.locator("#status")).to_have_attribute("data-status", "routed")
    await expect(page.locator("#department")).to_contain_text("กองช่าง")
    sha = view["photos"][0]
    stored = await context.request.get(f"/t/{code}/photos/{sha}")
    assert stored.status == 200
    assert max(Image.open(io.BytesIO(await stored.body())).size) <= 1600, "downscaled"

    await act(suite, view["id"], "resolve", {"note": "ปะหลุมเรียบร้อยแล้ว"})
    await tracked(suite, code, "resolved")
    await page.reload()
    await expect(page.locator("#status")).to_have_attribute("data-status", "resolved")
    await expect(page.locator("main")).to_contain_text("ปะหลุมเรียบร้อยแล้ว")
    await screenshot(page, "track")
    await page.check("#star4")
    await page.fill("#comment", "รวดเร็วมาก ขอบคุณค่ะ")
    await page.click("#rate-form button[type=submit]")
    await expect(page.locator("#done")).to_be_visible()
    assert (await tracked(suite, code))["rating"] == 4
    await page.reload()
    await expect(page.locator("#rating")).to_contain_text("4")
    await expect(page.locator("#rate-form")).to_have_count(0)


async def test_a_pin_outside_the_municipality_is_refused_in_thai(
    suite: Suite, context: BrowserContext
) -> None:
    page = await context.new_page()
    await page.goto("/")
    await page.fill("#description", "ไฟดับ")
    await click_map(page, "pick-map", *OUTSIDE)
    error = page.locator("#location-error")
    await expect(error).to_be_visible()
    await expect(error).to_have_text(MESSAGES["pin_outside"]["th"])
    await page.click("#send")
    await expect(page).to_have_url(re.compile(r"/$"))
    # Without JavaScript the same form is refused by intake, inline and in Thai.
    async with httpx.AsyncClient(base_url=suite.gateway_url) as http:
        form = {"description": "ไฟดับ", "lat": str(OUTSIDE[0]), "lon": str(OUTSIDE[1])}
        answer = await http.post("/", data=form, headers={"Accept-Language": "th"})
    assert answer.status_code == 422
    assert "นอกเขตเทศบาลเมืองหัวหิน" in answer.text
    assert 'id="location-error"' in answer.text


async def test_me_too_on_a_nearby_report_raises_its_supporter_count(
    suite: Suite, context: BrowserContext, system_chromium: Browser
) -> None:
    first = await context.new_page()
    code = await report(first, "ขยะไม่ได้เก็บมา 4 วันแล้ว ส่งกลิ่นเหม็น", (12.5712, 99.9541))
    view = await tracked(suite, code, "routed")
    neighbour = await system_chromium.new_context(
        viewport=PHONE, locale="th-TH", base_url=suite.gateway_url
    )
    try:
        page = await neighbour.new_page()
        await page.goto("/")
        await page.fill("#email", "neighbour@example.com")
        await click_map(page, "pick-map", 12.57122, 99.95413)
        item = page.locator(f"#nearby-{view['id']}")
        await expect(item).to_be_visible()
        await screenshot(page, "nearby")
        await item.locator("button.me-too").click()
        await expect(item.locator(".me-too-result")).to_have_text(MESSAGES["done_support"]["th"])
    finally:
        await neighbour.close()
    supported = await eventually(lambda: _supporters(suite, code, 1))
    assert supported == 1
    await first.goto(f"/t/{code}")
    await expect(first.locator("#supporters")).to_contain_text("1")


async def _supporters(suite: Suite, code: str, expected: int) -> int:
    found = int((await tracked(suite, code)).get("supporters") or 0)
    assert found == expected
    return found


async def test_the_english_toggle_switches_every_label(
    suite: Suite, context: BrowserContext
) -> None:
    page = await context.new_page()
    await page.goto("/")
    await page.click("a.lang")
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    for selector, key in (
        ("label[for=description]", "description_label"),
        ("#location-field legend", "location_legend"),
        ("#locate", "use_my_location"),
        ("label[for=photos]", "photos_label"),
        ("label[for=phone]", "phone_label"),
        ("label[for=anonymous]", "anonymous_label"),
        ("#send", "submit"),
        ("h1", "report_title"),
    ):
        assert (await page.text_content(selector) or "").strip() == MESSAGES[key]["en"], selector
    thai = re.compile("[\u0e00-\u0e7f]")
    visible = await page.evaluate("document.querySelector('main').innerText")
    assert not thai.search(visible), "no Thai left in the English page"
    for path in ("/map", "/stats", "/track"):
        await page.goto(path)
        await expect(page.locator("html")).to_have_attribute("lang", "en")
        assert not thai.search(await page.evaluate("document.querySelector('main').innerText"))


async def test_a_browser_in_another_language_gets_english(
    system_chromium: Browser, suite: Suite
) -> None:
    made = await system_chromium.new_context(locale="fr-FR", base_url=suite.gateway_url)
    try:
        page = await made.new_page()
        await page.goto("/")
        await expect(page.locator("html")).to_have_attribute("lang", "en")
    finally:
        await made.close()


async def test_a_report_by_keyboard_alone(suite: Suite, context: BrowserContext) -> None:
    page = await context.new_page()
    await page.goto("/")
    await page.keyboard.press("Tab")  # the skip link
    await expect(page.locator("a.skip")).to_be_focused()
    await page.locator("#description").focus()
    await page.keyboard.type("ไฟถนนดับทั้งซอย มืดมาก")
    await page.locator("#lat").focus()
    await page.keyboard.type(str(INSIDE[0]))
    await page.keyboard.press("Tab")
    await expect(page.locator("#lon")).to_be_focused()
    await page.keyboard.type(str(INSIDE[1]))
    await page.keyboard.press("Tab")
    await expect(page.locator("#address_text")).to_be_focused()
    await page.locator("#send").focus()
    await page.keyboard.press("Enter")
    await page.wait_for_url(re.compile(r"/submitted/"))
    assert CODE.match((await page.text_content("#tracking-code") or "").strip())


async def test_no_page_has_a_serious_accessibility_violation(
    suite: Suite, context: BrowserContext
) -> None:
    page = await context.new_page()
    code = await report(page, "สุนัขจรจัดไล่กัดเด็กนักเรียน")
    await tracked(suite, code)
    found: dict[str, list[dict[str, Any]]] = {}
    for path in ("/", f"/submitted/{code}", f"/t/{code}", "/map", "/stats", "/track"):
        await page.goto(path)
        await page.wait_for_load_state("networkidle")
        found[path] = await axe(page)
        if path in ("/map", "/stats"):
            await screenshot(page, path.strip("/"))
    assert found == {path: [] for path in found}
