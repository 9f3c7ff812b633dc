"""`make demo`: a morning in Hua Hin, through the public API of a running `make run`.

Submits realistic reports (Thai and English, pins across the town, a few duplicates, one
pin outside the municipality that is refused), then acts as the department admins on some
of them (acknowledge, assign, resolve), so that queues, statistics and hotspots fill.
Staff tokens are signed with KANDOO_JWT_SECRET (the development default when unset).
"""

from __future__ import annotations

import os
import random
import sys
import time

import httpx

from kandoo.events.auth import issue_token
from kandoo.events.config import DEV_SECRET
from kandoo.events.values import Actor, Role

INTAKE = os.environ.get("KANDOO_INTAKE_URL", "http://127.0.0.1:8001")
REPORTING = os.environ.get("KANDOO_REPORTING_URL", "http://127.0.0.1:8002")
SECRET = os.environ.get("KANDOO_JWT_SECRET", DEV_SECRET)

REPORTS: list[tuple[str, str, float, float]] = [
    ("th", "ไฟถนนหน้าซอยหัวหิน 94 ดับมาสามคืนแล้ว มืดมาก", 12.5537, 99.9589),
    ("th", "ถนนเพชรเกษมขาเข้าเมืองมีหลุมใหญ่ มอไซค์ล้มเมื่อคืน", 12.5655, 99.9545),
    ("en", "Garbage not collected on Soi 88 for a week, dogs tearing the bags", 12.5601, 99.9601),
    ("th", "ท่อระบายน้ำหน้าตลาดฉัตรไชยตัน ฝนตกทีไรน้ำท่วม", 12.5708, 99.9573),
    ("th", "ร้านเหล้าซอยบินทาบาตรเปิดเพลงดังถึงตีสามทุกคืน", 12.5716, 99.9612),
    (
        "en",
        "Stray dogs chasing joggers on the beach near the Hilton every morning",
        12.5702,
        99.9628,
    ),
    ("th", "ต้นไม้ใหญ่ล้มขวางถนนในซอย 51 หลังพายุเมื่อคืน", 12.5630, 99.9520),
    ("th", "รถจอดซ้อนคันหน้าโรงเรียนทุกเช้า รถติดยาว", 12.5750, 99.9540),
    ("th", "แผงลอยขายของเต็มทางเท้าถนนนเรศดำริ คนเดินต้องลงถนน", 12.5725, 99.9625),
    ("en", "Lots of jellyfish on Hua Hin beach today, two kids got stung", 12.5660, 99.9660),
    ("th", "ยุงลายเยอะมากในชุมชน มีเด็กเป็นไข้เลือดออกสองคน ขอพ่นยา", 12.5520, 99.9480),
    ("th", "คุณยายอายุ 85 อยู่คนเดียว ไม่มีคนดูแล ไม่มีข้าวกิน", 12.5480, 99.9500),
    ("th", "น้ำประปาไม่ไหลตั้งแต่เมื่อวานเย็นทั้งซอย", 12.5580, 99.9440),
    ("en", "The street light outside my house on soi 102 flickers all night", 12.5440, 99.9560),
    ("th", "เจ้าหน้าที่ที่เคาน์เตอร์พูดจาไม่สุภาพ ตะคอกใส่ผู้สูงอายุ", 12.5700, 99.9550),
    ("th", "ถนนทางขึ้นเขาตะเกียบเป็นหลุมเป็นบ่อเต็มไปหมด", 12.5130, 99.9790),
]
DUPLICATES = [
    ("th", "ไฟดับหน้าซอย 94 ค่ะ มืดตึ๊ดตื๋อ", 12.55375, 99.95895),
    ("en", "Big pothole on Phetkasem road inbound, dangerous", 12.56555, 99.95455),
]
OUTSIDE = ("th", "ถนนชำรุดหน้าบ้าน", 13.7563, 100.5018)  # Bangkok: refused


def post(http: httpx.Client, url: str, **kwargs: object) -> httpx.Response:
    """POST, waiting as asked when intake's rate limit answers 429 (as a polite client does)."""
    for _ in range(10):
        answer = http.post(url, **kwargs)  # type: ignore[arg-type]
        if answer.status_code != 429:
            return answer
        time.sleep(min(float(answer.headers.get("Retry-After", "2")), 15))
    return answer


def submit(http: httpx.Client, language: str, text: str, lat: float, lon: float) -> httpx.Response:
    rng = random.Random(text)  # noqa: S311 - varied sample data, not security
    body = {
        "description": text,
        "location": {"lat": lat, "lon": lon, "accuracy_m": rng.choice([5, 10, 25])},
        "reporter": {"name": "ผู้แจ้งตัวอย่าง", "email": f"demo{rng.randint(1, 999)}@example.com"},
        "language": language,
        "channel": rng.choice(["mobile", "web", "line"]),
    }
    return post(http, f"{INTAKE}/v1/complaints", json=body, headers={"Accept-Language": language})


def main() -> int:
    with httpx.Client(timeout=15) as http:
        try:
            http.get(f"{INTAKE}/healthz").raise_for_status()
        except httpx.HTTPError:
            print(f"intake is not answering at {INTAKE}: start the suite with `make run` first")
            return 1
        created: list[dict[str, str]] = []
        for language, text, lat, lon in REPORTS + DUPLICATES:
            answer = submit(http, language, text, lat, lon)
            got = answer.json()
            if answer.status_code in (201, 202):
                created.append(got)
                note = got.get("duplicate_of") and f" (duplicate of {got['duplicate_of'][:8]})"
                print(
                    f"{answer.status_code} {got.get('tracking_code')} {got.get('status'):10} "
                    f"{got.get('department') or '':18} {text[:40]}{note or ''}"
                )
            else:
                print(f"{answer.status_code} {text[:40]}: {got}")
        answer = submit(http, *OUTSIDE)
        print(f"{answer.status_code} refused as it should be: {answer.json().get('message')}")

        time.sleep(1)
        acted = 0
        for got in created:
            if got.get("status") != "routed" or not got.get("department"):
                continue
            admin = Actor(id="demo-admin", role=Role.DEPT_ADMIN, department=got["department"])
            headers = {"Authorization": f"Bearer {issue_token(SECRET, admin)}"}
            cid = got["complaint_id"]
            steps: list[tuple[str, dict[str, str]]] = [("acknowledge", {})]
            if acted % 2 == 0:
                steps += [("assign", {"assignee": "ทีมซ่อมบำรุง 1"})]
            if acted % 3 == 0:
                steps += [("resolve", {"note": "ดำเนินการเรียบร้อยแล้ว"})]
            for action, payload in steps:
                done = http.post(
                    f"{INTAKE}/v1/complaints/{cid}/{action}", json=payload, headers=headers
                )
                print(f"  {action:11} {got['tracking_code']}: {done.status_code}")
            acted += 1

        time.sleep(2)
        analyst = Actor(id="demo-analyst", role=Role.ANALYST)
        headers = {"Authorization": f"Bearer {issue_token(SECRET, analyst)}"}
        health = http.get(f"{REPORTING}/v1/departments/health", headers=headers).json()
        print("\ndepartment          open  unacked  overdue  admins")
        for d in health:
            if d["open"] or d["without_admin"]:
                flag = "  <- no active admin" if d["without_admin"] else ""
                print(
                    f"{d['department']:18} {d['open']:5} {d['unacknowledged']:8} "
                    f"{d['overdue']:8} {d['active_admins']:7}{flag}"
                )
        print(
            f"\nqueues:   {REPORTING}/docs (GET /v1/departments/{{code}}/queue with a staff token)"
        )
        print(f"stats:    {REPORTING}/v1/stats/public")
        print(f"hotspots: {REPORTING}/v1/hotspots (GeoJSON)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
