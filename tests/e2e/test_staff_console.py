"""The staff console in a real browser (Debian's Chromium through Playwright) against the
real services behind the gateway: an engineering admin works a citizen's report to
resolved with an after photo, which the citizen then sees; another department's admin
gets 403; the clerk appoints an admin where none was active and the next report is routed
there without escalation; failed logins lock an account; form posts without CSRF are
refused; axe-core on every console page. Accounts come from `kandoo-web create-staff`.
Screenshots at desktop width go to `KANDOO_SCREENSHOTS` (`staff-*.png`)."""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml
from PIL import Image
from playwright.async_api import Browser, BrowserContext, Page, expect
from playwright.async_api import TimeoutError as PlaywrightTimeout

from kandoo.events.values import Actor, Role
from tests.e2e.browser import DESKTOP, axe, click_map, local_only, screenshot
from tests.e2e.conftest import ROOT, Suite
from tests.e2e.test_citizen_web import INSIDE, big_photo, report, tracked
from tests.e2e.test_gateway_open311 import eventually

MESSAGES = yaml.safe_load(
    (ROOT / "services/web/src/kandoo/web/domain/messages.yaml").read_text(encoding="utf-8")
)
PASSWORD = "e2e-only password 7"
ACCOUNTS = (
    ("clerk-noi", "น้อย ประสานงาน", "clerk", "clerk"),
    ("eng-admin-1", "สมชาย ใจดี", "dept_admin", "engineering"),
    ("ph-admin-1", "นภา ศรีสุข", "dept_admin", "public_health"),
    ("sw-somsri", "สมศรี ใจงาม", "dept_admin", "social_welfare"),
    ("mayor-office", "สำนักนายกเทศมนตรี", "supervisor", None),
    ("lock-me", "ทดลอง ล็อก", "dept_admin", "engineering"),
)


def create_staff(suite: Suite, username: str, name: str, role: str, dept: str | None) -> str:
    command = [sys.executable, "-m", "kandoo.web", "create-staff", "--username", username]
    command += ["--name", name, "--role", role]
    if dept:
        command += ["--department", dept]
    env = suite.web_env | {"KANDOO_STAFF_PASSWORD": PASSWORD}
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.fixture(scope="module")
async def accounts(suite: Suite) -> list[str]:
    made = await asyncio.gather(
        *(asyncio.to_thread(create_staff, suite, *account) for account in ACCOUNTS)
    )
    return list(made)


CLERK = Actor(id="clerk-1", role=Role.CLERK, department="clerk")


@asynccontextmanager
async def desktop_browser(browser: Browser, suite: Suite) -> AsyncIterator[BrowserContext]:
    """A fresh desktop-sized browser (its own cookies) that may reach only this machine."""
    async for made in local_only(browser, suite, DESKTOP):
        yield made


@pytest.fixture
async def desktop(
    system_chromium: Browser, suite: Suite, accounts: list[str]
) -> AsyncIterator[BrowserContext]:
    async with desktop_browser(system_chromium, suite) as made:
        yield made


async def sign_in(context: BrowserContext, username: str, target: str = "/staff") -> Page:
    page = await context.new_page()
    await page.goto(target)
    await expect(page).to_have_url(re.compile(r"/staff/login"))
    await page.fill("#username", username)
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
    await expect(page.locator("nav .who")).to_be_visible()
    return page


def after_photo(tmp: Path) -> Path:
    path = tmp / "fixed.png"
    Image.new("RGB", (800, 600), (30, 140, 60)).save(path)
    return path


async def shown(page: Page, selector: str) -> bool:
    """Whether every image under `selector` loads once scrolled to (they load lazily; a
    refused photo never gets a width)."""
    images = page.locator(selector)
    for i in range(await images.count()):
        await images.nth(i).scroll_into_view_if_needed()
    try:
        await page.wait_for_function(
            f"() => [...document.querySelectorAll({selector!r})]"
            ".every(i => i.complete && i.naturalWidth > 0)",
            timeout=5000,
        )
    except PlaywrightTimeout:
        return False
    return True


async def test_the_created_accounts_say_what_they_are(accounts: list[str]) -> None:
    assert accounts[0].strip() == "created clerk clerk-noi (clerk)"
    assert "all departments" in accounts[4]


async def test_an_admin_resolves_a_report_with_an_after_photo_the_citizen_then_sees(
    suite: Suite, context: BrowserContext, desktop: BrowserContext, tmp_path: Path
) -> None:
    citizen = await context.new_page()
    await citizen.goto("/")
    await citizen.fill("#description", "ถนนเป็นหลุมลึกหน้าตลาดฉัตรไชย รถจักรยานยนต์ตกหลุม")
    await click_map(citizen, "pick-map", *INSIDE)
    await citizen.set_input_files("#photos", str(big_photo(tmp_path)))
    await citizen.click("#send")
    await citizen.wait_for_url(re.compile(r"/submitted/"))
    code = (await citizen.text_content("#tracking-code") or "").strip()
    view = await tracked(suite, code, "routed")
    assert view["department"] == "engineering"

    page = await sign_in(desktop, "eng-admin-1")
    await expect(page).to_have_url(re.compile(r"/staff/queue"))
    row = page.locator("table.queue tbody tr", has_text=code)
    await expect(row).to_have_count(1)
    await row.locator("a").first.click()
    await expect(page.locator("h1")).to_contain_text(code)
    await page.click("#do-acknowledge")
    await expect(page.locator("[role=status]")).to_have_text(
        MESSAGES["staff_done_acknowledge"]["th"]
    )
    await expect(page.locator("h1")).to_contain_text(MESSAGES["status_acknowledged"]["th"])
    await page.fill("#resolve-text", "ปะหลุมด้วยยางมะตอยเรียบร้อยแล้ว")
    await page.set_input_files("#resolve-photo", str(after_photo(tmp_path)))
    await page.click("#do-resolve")
    await expect(page.locator("h1")).to_contain_text(MESSAGES["status_resolved"]["th"])
    await expect(page.locator(".photos img")).to_have_count(2)
    assert await shown(page, ".photos img")
    await screenshot(page, "staff-complaint")

    resolved = await tracked(suite, code, "resolved")
    assert len(resolved["photos"]) == 1
    await citizen.goto(f"/t/{code}")
    await expect(citizen.locator("#status")).to_have_attribute("data-status", "resolved")
    await expect(citizen.locator("main")).to_contain_text("ปะหลุมด้วยยางมะตอยเรียบร้อยแล้ว")
    await expect(citizen.locator(".photos img")).to_have_count(2)
    assert await shown(citizen, ".photos img"), "the reporter sees both photos"
    await screenshot(citizen, "track-resolved-with-after-photo")


PLACES = itertools.count()


async def _engineering_complaint(suite: Suite, context: BrowserContext) -> dict[str, Any]:
    """A new report of a dark street, each ~300 m from the last (not a duplicate)."""
    page = await context.new_page()
    n = next(PLACES)
    at = (12.5650 + 0.0025 * n, 99.9620 + 0.0005 * n)
    code = await report(page, "ไฟฟ้าส่องสว่างริมถนนดับทั้งซอย มืดมาก", at)
    view = await tracked(suite, code, "routed")
    assert view["department"] == "engineering"
    return view


async def test_another_departments_admin_gets_403(
    suite: Suite, context: BrowserContext, desktop: BrowserContext
) -> None:
    view = await _engineering_complaint(suite, context)
    page = await sign_in(desktop, "ph-admin-1")
    answer = await page.goto(f"/staff/c/{view['id']}")
    assert answer is not None
    assert answer.status == 403
    await expect(page.locator("h1")).to_have_text(MESSAGES["staff_other_department"]["th"])
    await screenshot(page, "staff-403")
    queue = await page.goto("/staff/queue?department=engineering")
    assert queue is not None
    assert queue.status == 403
    health = await desktop.request.get("/staff/health")
    assert health.status == 403, "a department admin does not see every department's health"
    csrf = await _csrf(page)
    acted = await desktop.request.post(
        f"/staff/c/{view['id']}/acknowledge", form={"csrf": csrf}, max_redirects=0
    )
    assert acted.status == 403
    assert (await tracked(suite, view["tracking_code"]))["status"] == "routed"


async def _csrf(page: Page) -> str:
    await page.goto("/staff/password")
    return await page.locator("input[name=csrf]").first.input_value()


async def test_form_posts_without_their_csrf_token_are_refused(
    suite: Suite, context: BrowserContext, desktop: BrowserContext
) -> None:
    view = await _engineering_complaint(suite, context)
    await sign_in(desktop, "eng-admin-1")
    forms: list[dict[str, str | float | bool]] = [{}, {"csrf": "forged"}]
    for form in forms:
        answer = await desktop.request.post(
            f"/staff/c/{view['id']}/acknowledge", form=form, max_redirects=0
        )
        assert answer.status == 403, form
        assert MESSAGES["staff_csrf"]["th"] in await answer.text()
    login = await desktop.request.post(
        "/staff/login", form={"username": "eng-admin-1", "password": PASSWORD}, max_redirects=0
    )
    assert login.status == 403
    logout = await desktop.request.post("/staff/logout", form={}, max_redirects=0)
    assert logout.status == 403, "not even a logout without the token"
    await asyncio.sleep(1)
    assert (await tracked(suite, view["tracking_code"]))["status"] == "routed", "nothing done"


async def test_the_clerk_appoints_an_admin_and_the_next_report_is_routed_there(
    suite: Suite, desktop: BrowserContext, system_chromium: Browser
) -> None:
    before = await _welfare_report(suite, "ผู้สูงอายุอยู่ลำพัง ไม่มีคนดูแล ขอความช่วยเหลือ")
    assert _escalated_for_no_admin(before), "no active admin: the clerk is told at once"

    page = await sign_in(desktop, "clerk-noi", "/staff/health")
    row = page.locator("#dept-social_welfare")
    await expect(row.locator(".admins")).to_contain_text(MESSAGES["staff_none"]["th"])
    await expect(page.locator("#silent")).to_contain_text("กองสวัสดิการสังคม")
    await screenshot(page, "staff-health")
    await row.locator("a", has_text=MESSAGES["staff_appoint_now"]["th"]).click()
    await expect(page).to_have_url(re.compile(r"/staff/roster"))
    await page.select_option("#appoint-social_welfare", "sw-somsri")
    await page.locator("#roster-social_welfare button[type=submit]").click()
    await expect(page.locator("[role=status]")).to_have_text(MESSAGES["staff_done_appointed"]["th"])
    await expect(page.locator("#roster-social_welfare")).to_contain_text("สมศรี ใจงาม")
    await screenshot(page, "staff-roster")

    async def answered() -> None:
        await page.goto("/staff/health")
        await expect(page.locator("#dept-social_welfare .admins")).to_have_text(
            "สมศรี ใจงาม", timeout=1000
        )

    await eventually(answered, 10)
    csv = await desktop.request.get("/staff/health.csv")
    assert csv.status == 200
    text = (await csv.body()).decode("utf-8-sig")
    assert "social_welfare,กองสวัสดิการสังคม" in text
    assert "สมศรี ใจงาม" in next(line for line in text.splitlines() if "social_welfare" in line)

    elsewhere = (12.5800, 99.9650)  # not a duplicate of the first
    after = await _welfare_report(suite, "คนไร้บ้านนอนริมชายหาด ต้องการความช่วยเหลือ", elsewhere)
    assert after["department"] == "social_welfare"
    assert not _escalated_for_no_admin(after), "routed to its new admin, no escalation"
    async with desktop_browser(system_chromium, suite) as hers:
        admin = await sign_in(hers, "sw-somsri")
        await expect(admin.locator("table.queue")).to_contain_text(after["tracking_code"])


async def _welfare_report(
    suite: Suite, text: str, at: tuple[float, float] = INSIDE
) -> dict[str, Any]:
    answer = await suite.intake.post(
        "/v1/complaints",
        json={
            "description": text,
            "language": "th",
            "category": "welfare",
            "location": {"lat": at[0], "lon": at[1]},
        },
    )
    assert answer.status_code in (201, 202), answer.text
    code = answer.json()["tracking_code"]
    found = await tracked(suite, code, "routed")
    staff_view = await suite.reporting.get(
        f"/v1/complaints/{found['id']}", headers=suite.bearer(CLERK)
    )
    body: dict[str, Any] = staff_view.json()
    return body


def _escalated_for_no_admin(view: dict[str, Any]) -> bool:
    return any(
        e["type"] == "complaint.escalated" and e.get("reason") == "no_active_admin"
        for e in view["timeline"]
    )


async def _try(page: Page, username: str, password: str) -> int:
    """One sign-in attempt; too soon after a failure (429) it waits and tries again."""
    while True:
        await page.fill("#username", username)
        await page.fill("#password", password)
        async with page.expect_response(lambda r: r.request.method == "POST") as info:
            await page.click("button[type=submit]")
        status = (await info.value).status
        if status != 429:
            return status
        await asyncio.sleep(0.2)


async def test_a_series_of_failed_logins_locks_the_account(
    suite: Suite, desktop: BrowserContext, system_chromium: Browser
) -> None:
    page = await desktop.new_page()
    await page.goto("/staff/login")
    statuses = [await _try(page, "lock-me", f"wrong password {n}") for n in range(1, 6)]
    assert statuses == [401, 401, 401, 401, 423]
    await expect(page.locator("#login-problem")).to_contain_text("ล็อก")
    await screenshot(page, "staff-locked")
    assert await _try(page, "lock-me", PASSWORD) == 423, "locked: the right password too"

    clerk = await sign_in(desktop, "clerk-noi", "/staff/accounts")
    await clerk.locator("tr", has_text="lock-me").locator("button").click()
    await expect(clerk.locator("[role=status]")).to_have_text(MESSAGES["staff_done_unlocked"]["th"])
    async with desktop_browser(system_chromium, suite) as again:
        await sign_in(again, "lock-me")


async def test_no_console_page_has_a_serious_accessibility_violation(
    suite: Suite, context: BrowserContext, desktop: BrowserContext
) -> None:
    view = await _engineering_complaint(suite, context)
    login = await desktop.new_page()
    await login.goto("/staff/login")
    found = {"/staff/login": await axe(login)}
    await screenshot(login, "staff-login")
    page = await sign_in(desktop, "clerk-noi")
    for path in (
        "/staff/queue?department=engineering",
        f"/staff/c/{view['id']}",
        "/staff/triage",
        "/staff/health",
        "/staff/roster",
        "/staff/accounts",
        "/staff/password",
        "/staff/queue/print?department=engineering",
    ):
        await page.goto(path)
        found[path] = await axe(page)
    assert all(not v for v in found.values()), found


async def test_the_queue_is_filtered_paged_and_acknowledged_in_bulk(
    suite: Suite, context: BrowserContext, desktop: BrowserContext
) -> None:
    views = [await _engineering_complaint(suite, context) for _ in range(2)]
    page = await sign_in(desktop, "eng-admin-1", "/staff/queue?status=routed")
    for view in views:
        await page.locator(f"input[name=ids][value='{view['id']}']").check()
    await page.click("#bulk button[type=submit]")
    await expect(page.locator("[role=status]")).to_contain_text("2")
    for view in views:
        assert (await tracked(suite, view["tracking_code"], "acknowledged"))["status"]
    await page.goto("/staff/queue?status=acknowledged")
    for view in views:
        await expect(page.locator("table.queue")).to_contain_text(view["tracking_code"])
    await page.goto("/staff/queue")
    await screenshot(page, "staff-queue")
    shortlist = await page.goto("/staff/queue/print?status=acknowledged&noprint")
    assert shortlist is not None
    assert shortlist.status == 200
    await expect(page.locator("table.shortlist")).to_contain_text(views[0]["tracking_code"])


async def test_notes_are_internal_unless_marked_public_and_the_pin_drags(
    suite: Suite, context: BrowserContext, desktop: BrowserContext
) -> None:
    view = await _engineering_complaint(suite, context)
    page = await sign_in(desktop, "eng-admin-1", f"/staff/c/{view['id']}")
    await page.fill("#note-text", "รอวัสดุจากคลัง (ภายใน)")
    await page.click("form[action$='/notes'] button[type=submit]")
    await expect(page.locator("[role=status]")).to_have_text(MESSAGES["staff_done_notes"]["th"])
    await page.fill("#note-text", "จะเข้าซ่อมภายในวันพรุ่งนี้")
    await page.check("#note-public")
    await page.click("form[action$='/notes'] button[type=submit]")
    await expect(page.locator(".timeline .badge.internal")).to_have_count(1)
    await expect(page.locator(".timeline .badge.public")).to_have_count(1)
    public = await tracked(suite, view["tracking_code"])
    said = [e.get("text") for e in public["timeline"] if e["type"] == "complaint.note_added"]
    assert said == ["จะเข้าซ่อมภายในวันพรุ่งนี้"], "the internal note is not public"

    marker = page.locator("#pin-map .leaflet-marker-icon")
    box = await marker.bounding_box()
    assert box is not None
    start = (box["x"] + box["width"] / 2, box["y"] + box["height"] - 4)
    await page.mouse.move(*start)
    await page.mouse.down()
    await page.mouse.move(start[0] + 60, start[1] + 30, steps=8)
    await page.mouse.up()
    moved = float(await page.input_value("#lon"))
    assert moved > view["location"]["lon"], "dragging east moves the pin east"
    await page.click("form[action$='/location'] button[type=submit]")
    await expect(page.locator("[role=status]")).to_have_text(MESSAGES["staff_done_location"]["th"])
    corrected = await tracked(suite, view["tracking_code"])
    assert abs(corrected["location"]["lon"] - moved) < 1e-6

    csrf = await page.locator("input[name=csrf]").first.input_value()
    await page.click("#do-acknowledge")
    await expect(page.locator("h1")).to_contain_text(MESSAGES["status_acknowledged"]["th"])
    refused = await desktop.request.post(
        f"/staff/c/{view['id']}/resolve", multipart={"csrf": csrf, "text": ""}
    )
    assert refused.status == 422
    assert "กรุณาบันทึกสิ่งที่ได้ดำเนินการก่อนปิดงาน" in await refused.text(), "in Thai"


async def test_the_clerk_sends_an_unsure_report_where_it_belongs_in_one_click(
    suite: Suite, context: BrowserContext, desktop: BrowserContext
) -> None:
    page = await context.new_page()
    code = await report(page, "ไม่พอใจมาก", (12.5990, 99.9600))
    view = await tracked(suite, code, "triage")
    clerk = await sign_in(desktop, "clerk-noi", "/staff/triage")
    item = clerk.locator(".triage > li", has_text=code)
    guesses = item.locator(".guesses button")
    await expect(guesses).to_have_count(3)
    await expect(guesses.first).to_contain_text("%")
    await screenshot(clerk, "staff-triage")
    await item.locator("select").select_option("road")
    await item.locator(".other-category button").click()
    await expect(clerk.locator("[role=status]")).to_have_text(MESSAGES["staff_done_triaged"]["th"])
    routed = await tracked(suite, code, "routed")
    assert routed["category"] == "road"
    assert routed["department"] == "engineering"
    await expect(clerk.locator(".triage > li", has_text=code)).to_have_count(0)
    assert view["id"] == routed["id"]


async def test_the_clerk_erases_a_reporters_data_and_deletes_a_photo_on_request(
    suite: Suite, desktop: BrowserContext, tmp_path: Path
) -> None:
    """A request by letter: the clerk finds the report, deletes the photo that shows a
    face, and erases the personal data; a department admin can do neither."""
    body = {
        "description": "มีคนทิ้งขยะริมถนนทุกคืน ถ่ายรูปไว้แล้ว",
        "location": {"lat": 12.5731, "lon": 99.9533},
        "language": "th",
        "channel": "web",
        "reporter": {"name": "มานี มีตา", "phone": "0834445566"},
    }
    photo = after_photo(tmp_path).read_bytes()
    created = await suite.intake.post(
        "/v1/complaints",
        data={"complaint": json.dumps(body, ensure_ascii=False)},
        files=[("photos", ("face.jpg", photo, "image/jpeg"))],
    )
    assert created.status_code == 201, created.text
    cid = created.json()["complaint_id"]
    view = await tracked(suite, created.json()["tracking_code"], "routed")
    [sha] = view["photos"]

    admin = await sign_in(desktop, "ph-admin-1", f"/staff/c/{cid}")  # its department
    await expect(admin.locator("#do-erase")).to_have_count(0)
    await desktop.clear_cookies()
    page = await sign_in(desktop, "clerk-noi", f"/staff/c/{cid}")
    await expect(page.locator("dl")).to_contain_text("0834445566")
    await page.click("#remove-1")
    await expect(page.locator("[role=status]")).to_have_text(
        MESSAGES["staff_done_photo_removed"]["th"]
    )
    gone = await suite.intake.get(f"/v1/photos/{sha}", headers=suite.bearer(CLERK))
    assert gone.status_code == 410
    await page.click("details:has(#do-erase) > summary")
    await page.fill("#erase-text", "หนังสือขอลบข้อมูล เลขที่ 12/2569")
    await screenshot(page, "staff-erase")
    await page.click("#do-erase")
    await expect(page.locator("[role=status]")).to_have_text(MESSAGES["staff_done_erase"]["th"])
    await expect(page.locator("dl")).to_contain_text(MESSAGES["staff_reporter_erased"]["th"])
    await expect(page.locator("dl")).not_to_contain_text("0834445566")
    staff_view = await suite.reporting.get(f"/v1/complaints/{cid}", headers=suite.bearer(CLERK))
    assert staff_view.json()["reporter"]["erased"] is True
