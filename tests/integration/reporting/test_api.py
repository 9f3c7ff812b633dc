"""The query API over the read models of a scripted history."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest

from kandoo.events.auth import issue_token
from kandoo.events.values import Actor, Role
from kandoo.reporting.entrypoints.app import create_app
from kandoo.reporting.entrypoints.schemas import DepartmentStats, Hotspots, PublicStats
from tests.integration.reporting.conftest import ENGINEERING, PUBLIC_HEALTH, SECRET, Scripted

ANALYST = Actor(id="analyst-1", role=Role.ANALYST)
CITIZEN = Actor(id="citizen-1", role=Role.CITIZEN)


def bearer(actor: Actor) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(SECRET, actor)}"}


@pytest.fixture
async def api(scripted: Scripted) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(r=scripted.reporting)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://reporting") as http:
        yield http


async def test_a_complaint_shows_reporter_data_only_to_its_department(
    api: httpx.AsyncClient, scripted: Scripted
) -> None:
    cid = scripted.history.ids["rerouted"]
    public = (await api.get(f"/v1/complaints/{cid}")).json()
    assert "reporter" not in public
    assert public["status"] == "resolved"
    notes = [e for e in public["timeline"] if e["type"] == "complaint.note_added"]
    assert [n["text"] for n in notes] == ["จะเก็บพรุ่งนี้เช้า"]  # the internal note is hidden
    assert all("id" not in e["actor"] for e in public["timeline"])
    other = (await api.get(f"/v1/complaints/{cid}", headers=bearer(ENGINEERING))).json()
    assert "reporter" not in other
    owning = (await api.get(f"/v1/complaints/{cid}", headers=bearer(PUBLIC_HEALTH))).json()
    assert owning["reporter"]["phone"] == "0899999999"
    assert len([e for e in owning["timeline"] if e["type"] == "complaint.note_added"]) == 2


async def test_tracking_by_code_and_unknown_answers(
    api: httpx.AsyncClient, scripted: Scripted
) -> None:
    light = scripted.history.ids["light"]
    code = (await api.get(f"/v1/complaints/{light}")).json()["tracking_code"]
    tracked = (await api.get(f"/v1/track/{code.lower()}")).json()
    assert tracked["id"] == light
    assert tracked["followers"] == 1
    assert tracked["duplicates"] == [scripted.history.ids["duplicate"]]
    missing = await api.get("/v1/track/HH-0000-00", headers={"Accept-Language": "en"})
    assert missing.status_code == 404
    assert missing.json()["message"] == "No such complaint"
    thai = await api.get("/v1/complaints/nope")
    assert (thai.status_code, thai.json()["message"]) == (404, "ไม่พบเรื่องร้องเรียนนี้")


async def test_a_department_queue_is_for_staff_ordered_by_due_and_filtered(
    api: httpx.AsyncClient, scripted: Scripted
) -> None:
    assert (await api.get("/v1/departments/engineering/queue")).status_code == 403
    citizen = await api.get("/v1/departments/engineering/queue", headers=bearer(CITIZEN))
    assert citizen.status_code == 403
    bad = await api.get("/v1/departments/engineering/queue", headers={"Authorization": "Bearer x"})
    assert bad.status_code == 401
    answer = await api.get("/v1/departments/engineering/queue", headers=bearer(ENGINEERING))
    body = answer.json()
    ids = scripted.history.ids
    assert [i["id"] for i in body["items"]] == [ids["light"], ids["breached"]]  # earlier due first
    assert all(i["overdue"] for i in body["items"])  # a day has passed: both missed acknowledge
    road = await api.get(
        "/v1/departments/engineering/queue",
        params={"category": "road", "page_size": 1},
        headers=bearer(ENGINEERING),
    )
    assert [i["id"] for i in road.json()["items"]] == [ids["breached"]]
    none = await api.get(
        "/v1/departments/engineering/queue", params={"overdue": False}, headers=bearer(ENGINEERING)
    )
    assert none.json()["total"] == 0
    unknown = await api.get("/v1/departments/nowhere/queue", headers=bearer(ENGINEERING))
    assert unknown.status_code == 404


async def test_department_statistics_and_health(api: httpx.AsyncClient) -> None:
    stats = await api.get(
        "/v1/departments/public_health/stats",
        params={"from": "2000-01-01", "to": "2100-01-01"},
        headers=bearer(ANALYST),
    )
    DepartmentStats.model_validate(stats.json())  # the published model (not validated by the route)
    totals = stats.json()["totals"]
    assert (totals["acknowledged"], totals["resolved"]) == (2, 2)
    assert totals["time_to_resolve_min"]["p50"] is not None
    assert stats.json()["by_category"]["waste"]["resolved"] == 2
    backwards = await api.get(
        "/v1/departments/public_health/stats",
        params={"from": "2026-02-01", "to": "2026-01-01"},
        headers=bearer(ANALYST),
    )
    assert backwards.status_code == 400
    health = {
        d["department"]: d
        for d in (await api.get("/v1/departments/health", headers=bearer(ANALYST))).json()
    }
    assert health["social_welfare"]["without_admin"] is True
    assert health["engineering"]["unacknowledged"] == 2
    assert health["engineering"]["overdue"] == 2
    assert health["engineering"]["oldest_unacknowledged_hours"] >= 0
    # 2 breached of 3 routed there (the rubbish went to engineering first, then was rerouted)
    assert health["engineering"]["breach_rate"] == round(2 / 3, 4)


async def test_public_statistics_and_hotspots(api: httpx.AsyncClient) -> None:
    public = (
        await api.get("/v1/stats/public", params={"from": "2000-01-01", "to": "2100-01-01"})
    ).json()
    PublicStats.model_validate(public)
    assert public["totals"]["submitted"] == 4
    assert public["departments"]["public_health"]["by_category"]["waste"]["resolved"] == 2
    spots = (await api.get("/v1/hotspots")).json()
    assert spots["type"] == "FeatureCollection"
    # open ones only, and not the welfare report: a sensitive category is on no public map
    assert sum(f["properties"]["count"] for f in spots["features"]) == 2
    everything = (await api.get("/v1/hotspots", params={"status": "all"})).json()
    assert sum(f["properties"]["count"] for f in everything["features"]) == 4
    assert not any("welfare" in f["properties"]["by_category"] for f in everything["features"])
    Hotspots.model_validate(everything)  # the published model (the route does not validate)
    Hotspots.model_validate(spots)
    ring = everything["features"][0]["geometry"]["coordinates"][0]
    assert ring[0] == ring[-1]
    assert len(ring) == 5


async def test_open311_reads(api: httpx.AsyncClient, scripted: Scripted) -> None:
    ids = scripted.history.ids
    one = await api.get(f"/open311/v2/requests/{ids['rerouted']}.json")
    [request] = one.json()
    assert request["status"] == "closed"
    assert request["status_notes"] == "เก็บครบแล้ว"
    assert request["agency_responsible"] == "Public Health and Environment Division"
    assert request["service_code"] == "waste"
    assert request["lat"] == 12.5750
    listed = (await api.get("/open311/v2/requests.json", params={"status": "open"})).json()
    assert {r["service_request_id"] for r in listed} == {ids["light"], ids["breached"]}
    assert ids["welfare"] not in str(listed), "a sensitive category is not in Open311"
    welfare = await api.get(f"/open311/v2/requests/{ids['welfare']}.json")
    assert welfare.status_code == 404
    by_id = await api.get(
        "/open311/v2/requests.json", params={"service_request_id": ids["welfare"]}
    )
    assert by_id.json() == []
    chosen = await api.get(
        "/open311/v2/requests.json",
        params={"service_request_id": f"{ids['light']},{ids['breached']}", "service_code": "road"},
    )
    assert [r["service_request_id"] for r in chosen.json()] == [ids["breached"]]
    too_long = await api.get(
        "/open311/v2/requests.json",
        params={"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"},
    )
    assert too_long.status_code == 400
    assert too_long.json()[0]["code"] == 400
    missing = await api.get("/open311/v2/requests/nope.json")
    assert missing.status_code == 404
    assert "description" in missing.json()[0]


async def test_metrics_and_health_endpoints(api: httpx.AsyncClient) -> None:
    metrics = (await api.get("/metrics")).text
    assert 'kandoo_reporting_events_applied_total{type="complaint.submitted"}' in metrics
    assert "kandoo_reporting_projection_lag_seconds_bucket" in metrics
    assert (await api.get("/healthz")).status_code == 200
    assert (await api.get("/readyz")).status_code == 200


SUPERVISOR = Actor(id="eng-sup", role=Role.SUPERVISOR, department="engineering")
CLERK = Actor(id="clerk-1", role=Role.CLERK, department="clerk")


async def test_a_department_admin_reads_only_their_own_department(
    api: httpx.AsyncClient,
) -> None:
    for path in ("/v1/departments/engineering/queue", "/v1/departments/engineering/stats"):
        refused = await api.get(path, headers=bearer(PUBLIC_HEALTH) | {"Accept-Language": "en"})
        assert refused.status_code == 403, path
        assert refused.json()["message"] == "Department staff see their own department only"
        assert (await api.get(path, headers=bearer(ENGINEERING))).status_code == 200
        for everyone in (ANALYST, SUPERVISOR, CLERK):
            assert (await api.get(path, headers=bearer(everyone))).status_code == 200
        assert (await api.get(path, headers=bearer(CITIZEN))).status_code == 403
    own = (await api.get("/v1/departments/health", headers=bearer(PUBLIC_HEALTH))).json()
    assert [h["department"] for h in own] == ["public_health"]
    every = (await api.get("/v1/departments/health", headers=bearer(CLERK))).json()
    assert len(every) > 1


async def test_open311_pages_list_every_request_once_newest_first(
    api: httpx.AsyncClient, scripted: Scripted
) -> None:
    docs = await scripted.models["complaints"].find({}).to_list()
    listed = [d for d in docs if d.get("status") and not d.get("sensitive")]
    times = [d["submitted_at"] for d in listed]
    window = {
        "start_date": (min(times) - timedelta(hours=1)).isoformat(),
        "end_date": (max(times) + timedelta(days=2)).isoformat(),
    }
    whole = (await api.get("/open311/v2/requests.json", params=window)).json()
    listed.sort(key=lambda d: (d["submitted_at"], d["_id"]), reverse=True)
    assert [r["service_request_id"] for r in whole] == [d["_id"] for d in listed]
    paged = []
    for page in range(1, len(whole) + 2):
        answer = await api.get(
            "/open311/v2/requests.json", params=window | {"page": page, "page_size": 2}
        )
        paged += answer.json()
    assert paged == whole
    closed = await api.get("/open311/v2/requests.json", params=window | {"status": "closed"})
    assert [r["status"] for r in closed.json()] == ["closed"] * len(closed.json())
    assert {r["service_request_id"] for r in closed.json()} == {
        r["service_request_id"] for r in whole if r["status"] == "closed"
    }


async def test_hotspots_in_a_box_show_only_the_cells_it_touches(api: httpx.AsyncClient) -> None:
    everything = (await api.get("/v1/hotspots", params={"status": "all"})).json()["features"]
    near = (
        await api.get(
            "/v1/hotspots", params={"status": "all", "bbox": "99.9570,12.5675,99.9585,12.5690"}
        )
    ).json()["features"]
    assert 0 < len(near) < len(everything)
    assert all(12.56 < f["properties"]["center"][1] < 12.58 for f in near)
    sea = await api.get("/v1/hotspots", params={"bbox": "100.5,12.0,100.6,12.1"})
    assert sea.json()["features"] == []
    bad = await api.get("/v1/hotspots", params={"bbox": "north,of,here"})
    assert bad.status_code == 400
