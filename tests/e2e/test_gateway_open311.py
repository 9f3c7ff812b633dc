"""One public address: an Open311 client written by others (georeport, from PyPI) lists,
reads and follows requests through the gateway, in JSON and in XML, unchanged."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from xml.etree import ElementTree as ET

import httpx
import pytest
import requests
from georeport import GeoReport

from tests.e2e.conftest import Suite

API_KEY = "development-open311-key"
FORMATS = ["json", "xml"]


def form(**more: str) -> dict[str, str]:
    return {
        "api_key": API_KEY,
        "service_code": "streetlight",
        "lat": "12.5700",
        "long": "99.9580",
        "address_string": "ซอยหัวหิน 51",
        "description": f"Street light dark all night near the market {uuid.uuid4().hex[:6]}",
        "email": "open311-client@example.com",
        "first_name": "Somchai",
        **more,
    }


async def eventually(check: Any, wait_s: float = 30.0) -> Any:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait_s
    while True:
        try:
            return await check()
        except (AssertionError, httpx.HTTPError, requests.HTTPError):
            if loop.time() > deadline:
                raise
            await asyncio.sleep(0.3)


@pytest.mark.parametrize("fmt", FORMATS)
async def test_an_open311_client_lists_services_and_reads_a_definition(
    suite: Suite, fmt: str
) -> None:
    client = GeoReport(f"{suite.gateway_url}/open311/v2", output_format=fmt)
    services = await asyncio.to_thread(client.get_service_list)
    codes = {s["service_code"] for s in services}
    assert {"road", "streetlight", "drainage"} <= codes
    lamp = next(s for s in services if s["service_code"] == "streetlight")
    assert "street light" in lamp["service_name"]
    definition = await asyncio.to_thread(client.get_service_definition, "road")
    assert definition["service_code"] == "road"


@pytest.mark.parametrize("fmt", FORMATS)
async def test_a_request_posted_through_the_gateway_is_read_back_by_the_client(
    suite: Suite, fmt: str
) -> None:
    # apart from each other, so that neither is taken for a duplicate of the other
    lat, lon = {"json": ("12.6010", "99.9410"), "xml": ("12.5210", "99.9510")}[fmt]
    posted = await suite.gateway.post(f"/open311/v2/requests.{fmt}", data=form(lat=lat, long=lon))
    assert posted.status_code == 200, posted.text
    if fmt == "xml":
        assert posted.headers["content-type"].startswith("text/xml")
        request = ET.fromstring(posted.content).find("request")
        assert request is not None
        request_id = request.findtext("service_request_id")
        assert (request.findtext("service_notice") or "").startswith("Tracking code HH-")
    else:
        request_id = posted.json()[0]["service_request_id"]
    assert request_id

    client = GeoReport(f"{suite.gateway_url}/open311/v2", output_format=fmt)
    one = await eventually(lambda: asyncio.to_thread(client.get_service_request, request_id))
    assert one["service_request_id"] == request_id
    assert one["service_code"] == "streetlight"
    assert one["status"] == "open"

    now = datetime.now(UTC)
    listed = await asyncio.to_thread(
        client.get_service_requests,
        start_date=(now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        end_date=(now + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        status="open",
    )
    if isinstance(listed, dict):  # xmltodict: a single <request> is a dict, several a list
        listed = [listed]
    assert request_id in {r["service_request_id"] for r in listed}
    assert all(r["status"] == "open" for r in listed)


async def test_xml_answers_are_well_formed_documents_of_the_specs_shape(suite: Suite) -> None:
    for path, root, item in (
        ("/open311/v2/services.xml", "services", "service"),
        ("/open311/v2/discovery.xml", "discovery", "endpoints"),
        ("/open311/v2/services/road.xml", "service_definition", "service_code"),
        ("/open311/v2/requests.xml", "service_requests", None),
    ):
        answer = await suite.gateway.get(path)
        assert answer.status_code == 200, (path, answer.text)
        document = ET.fromstring(answer.content)
        assert document.tag == root, path
        if item is not None:
            assert document.find(item) is not None, path


async def test_errors_follow_the_spec_in_both_formats(suite: Suite) -> None:
    denied = await suite.gateway.post("/open311/v2/requests.xml", data=form(api_key="wrong"))
    assert denied.status_code == 403
    error = ET.fromstring(denied.content)
    assert error.tag == "errors"
    assert error.findtext("error/code") == "403"
    assert "api_key" in (error.findtext("error/description") or "")

    far = await suite.gateway.post(
        "/open311/v2/requests.json", data=form(lat="13.75", long="100.5")
    )
    assert far.status_code == 400
    assert "outside" in far.json()[0]["description"]

    missing = await suite.gateway.get("/open311/v2/requests/no-such-request.xml")
    assert missing.status_code == 404
    assert ET.fromstring(missing.content).findtext("error/code") == "404"

    too_long = await suite.gateway.post(
        "/open311/v2/requests.json", data=form(first_name="ส" * 5000)
    )
    assert too_long.status_code == 400
    assert "first_name" in too_long.json()[0]["description"]

    elsewhere = await suite.gateway.get("/open311/v2/services.json?jurisdiction_id=bangkok")
    assert elsewhere.status_code == 404
    mine = await suite.gateway.get("/open311/v2/services.json?jurisdiction_id=huahin")
    assert mine.status_code == 200


async def test_discovery_advertises_the_public_address(suite: Suite) -> None:
    found = (await suite.gateway.get("/open311/v2/discovery.json")).json()
    endpoint = found["endpoints"][0]
    assert endpoint["url"] == f"{suite.gateway_url}/open311/v2"
    assert "text/xml" in endpoint["formats"]


async def test_a_path_nobody_serves_is_web_s_404_page_never_502(suite: Suite) -> None:
    for path in ("/nothing-here", "/v2/complaints", "/wp-login.php"):
        answer = await suite.gateway.get(path)
        assert answer.status_code == 404, path
        assert answer.headers["content-type"].startswith("text/html"), "web's own 404 page"
    page = await suite.gateway.get("/", headers={"Accept-Encoding": "gzip"})
    assert page.status_code == 200
    assert page.headers["content-encoding"] == "gzip"
    assert '<html lang="th">' in page.text


async def test_reads_and_writes_reach_their_service_through_one_address(suite: Suite) -> None:
    report = {
        "description": "ถนนเป็นหลุมใหญ่ หน้าตลาดฉัตรไชย",
        "location": {"lat": 12.5684, "lon": 99.9577},
        "reporter": {"anonymous": True},
        "channel": "web",
    }
    created = await suite.gateway.post("/v1/complaints", json=report)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["status_url"] == f"{suite.gateway_url}/t/{body['tracking_code']}"
    tracked = await eventually(lambda: _ok(suite.gateway.get(f"/v1/track/{body['tracking_code']}")))
    assert tracked["tracking_code"] == body["tracking_code"]
    assert (await suite.gateway.get(f"/v1/commands/{body['command_id']}")).status_code == 200


async def test_json_is_compressed_for_clients_that_ask(suite: Suite) -> None:
    raw = await suite.gateway.get("/open311/v2/services.json", headers={"Accept-Encoding": "gzip"})
    assert raw.headers.get("content-encoding") == "gzip"
    assert raw.json()  # httpx decodes it
    assert raw.num_bytes_downloaded < len(raw.content)


async def _ok(answer: Any) -> Any:
    response = await answer
    assert response.status_code == 200, response.text
    return response.json()
