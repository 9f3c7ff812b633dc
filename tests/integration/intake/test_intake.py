"""The public write API, end to end through the real broker and routing."""

from __future__ import annotations

import asyncio
import io
import json
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

from PIL import Image

from kandoo.events.ids import stable_id, tracking_code
from kandoo.intake.adapters.ratelimit import RateLimiter
from tests.conftest import Servers
from tests.integration.intake.conftest import (
    CLERK,
    ENGINEERING,
    PUBLIC_HEALTH,
    Stack,
    bearer,
    jpeg_with_gps,
    report,
)
from tests.integration.routing.conftest import read_topic

TRACKING = re.compile(r"^HH-[2-9A-HJKMNP-TV-Z]{4}-[2-9A-HJKMNP-TV-Z]{2}$")


async def submit(stack: Stack, **more: object) -> dict:  # type: ignore[type-arg]
    response = await stack.http.post("/v1/complaints", json=report(**more))
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_a_thai_report_is_answered_201_with_a_readable_tracking_code(stack: Stack) -> None:
    body = await submit(stack)
    assert TRACKING.match(body["tracking_code"])
    assert body["status"] == "routed"
    assert body["department"] == "engineering"
    assert body["tracking_token"]
    assert body["status_url"].endswith(f"/t/{body['tracking_code']}")


async def test_a_tracking_code_already_given_to_another_complaint_is_never_given_again(
    stack: Stack,
) -> None:
    key = "collision-test-key"
    body = json.dumps(report()).encode()
    generation = await stack.intake.keys.claim("submit", "anonymous", key, body)
    assert generation is not None
    complaint_id = stable_id("complaint", "anonymous", key, generation)
    first_choice = tracking_code(complaint_id, "HH")
    # Another complaint holds the code this one would get first: a forced collision.
    await stack.intake.codes.reserve("another-complaint", "HH")
    taken = stack.intake.mongo[stack.intake.settings.mongodb_db]["tracking_codes"]
    await taken.delete_many({"complaint_id": "another-complaint"})
    await taken.insert_one({"_id": first_choice, "complaint_id": "another-complaint"})
    headers = {"Idempotency-Key": key, "Content-Type": "application/json"}
    answer = await stack.http.post("/v1/complaints", content=body, headers=headers)
    assert answer.status_code == 201, answer.text
    code = answer.json()["tracking_code"]
    assert code != first_choice
    assert code == tracking_code(complaint_id, "HH", 1)
    assert TRACKING.match(code), "still short and readable aloud"
    again = await stack.http.post("/v1/complaints", content=body, headers=headers)
    assert again.json()["tracking_code"] == code, "a retry keeps its code"
    owner = await taken.find_one({"_id": code})
    assert owner is not None
    assert owner["complaint_id"] == complaint_id


async def test_a_pin_outside_hua_hin_is_refused_in_the_reporters_language(stack: Stack) -> None:
    cha_am = {"lat": 12.80, "lon": 99.97}
    thai = await stack.http.post("/v1/complaints", json=report(location=cha_am))
    assert thai.status_code == 422
    assert "หัวหิน" in thai.json()["message"]
    assert thai.json()["fields"][0]["field"] == "location"
    english = await stack.http.post("/v1/complaints", json=report(location=cha_am, language="en"))
    assert "outside Hua Hin" in english.json()["message"]


PIN = {"lat": 12.5684, "lon": 99.9577}


async def test_a_2_mb_free_text_field_is_refused_naming_it_and_the_next_report_goes_through(
    stack: Stack,
) -> None:
    for where, body in (
        ("description", report(description="ถนนพัง " * 300_000)),
        (
            "location.address_text",
            report(location={"lat": 12.57, "lon": 99.95, "address_text": "ซ" * 2_000_000}),
        ),
        ("reporter.name", report(reporter={"name": "ก" * 2_000_000})),
    ):
        refused = await stack.http.post(
            "/v1/complaints", json=body, headers={"Accept-Language": "en"}
        )
        assert refused.status_code in (413, 422), where
        assert [f["field"] for f in refused.json()["fields"]] == [where]
        assert "ยาวเกินไป" in refused.json()["fields"][0]["reason"], "in the report's language"
    assert (await submit(stack))["status"] == "routed", "routing goes on"


async def test_a_missing_description_names_the_field(stack: Stack) -> None:
    body = report()
    del body["description"]
    response = await stack.http.post("/v1/complaints", json=body, headers={"Accept-Language": "en"})
    assert response.status_code == 422
    assert [f["field"] for f in response.json()["fields"]] == ["description"]


async def test_the_same_idempotency_key_and_body_give_the_same_answer_and_one_complaint(
    stack: Stack,
) -> None:
    headers = {"Idempotency-Key": "phone-retry-1"}
    first = await stack.http.post("/v1/complaints", json=report(), headers=headers)
    again = await stack.http.post("/v1/complaints", json=report(), headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    events = [json.loads(v) for v in await read_topic_events(stack)]
    submitted = [e for e in events if e["type"] == "complaint.submitted"]
    assert len(submitted) == 1
    other = await stack.http.post("/v1/complaints", json=report(description="อื่น"), headers=headers)
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_conflict"


async def test_one_callers_idempotency_key_never_answers_another_caller(stack: Stack) -> None:
    mine = {"Idempotency-Key": "shared-key-1", "X-Kandoo-Client": "browser-of-somchai"}
    theirs = {"Idempotency-Key": "shared-key-1", "X-Kandoo-Client": "browser-of-nok"}
    first = await stack.http.post("/v1/complaints", json=report(), headers=mine)
    other = await stack.http.post("/v1/complaints", json=report(), headers=theirs)
    assert first.status_code == other.status_code == 201
    assert other.json()["complaint_id"] != first.json()["complaint_id"]
    assert other.json()["tracking_token"] != first.json()["tracking_token"]
    staff = await stack.http.post(
        "/v1/complaints", json=report(), headers={"Idempotency-Key": "shared-key-1"} | bearer(CLERK)
    )
    ids = (first.json()["complaint_id"], other.json()["complaint_id"])
    assert staff.json()["complaint_id"] not in ids
    again = await stack.http.post("/v1/complaints", json=report(), headers=mine)
    assert again.json()["complaint_id"] == first.json()["complaint_id"], "its own retry still is"


async def test_an_expired_idempotency_key_is_a_new_request(stack: Stack) -> None:
    headers = {"Idempotency-Key": "yesterdays-key", "X-Kandoo-Client": "browser-1"}
    first = await stack.http.post("/v1/complaints", json=report(), headers=headers)
    keys = stack.intake.mongo[stack.intake.settings.mongodb_db]["idempotency_keys"]
    hours = stack.intake.settings.idempotency_hours
    old = datetime.now(UTC) - timedelta(hours=hours, minutes=1)
    assert (await keys.update_many({}, {"$set": {"at": old}})).matched_count >= 1
    later = await stack.http.post(
        "/v1/complaints", json=report(description="อีกเรื่อง ถนนพังอีกจุด"), headers=headers
    )
    assert later.status_code == 201, later.text
    assert later.json()["complaint_id"] != first.json()["complaint_id"]


async def test_an_idempotency_key_over_200_characters_is_422_naming_the_header(
    stack: Stack,
) -> None:
    headers = {"Idempotency-Key": "k" * 201, "Accept-Language": "en"}
    response = await stack.http.post("/v1/complaints", json=report(), headers=headers)
    assert response.status_code == 422
    assert [f["field"] for f in response.json()["fields"]] == ["Idempotency-Key"]


async def read_topic_events(stack: Stack) -> list[bytes]:
    """The events log; polled, because a commit's markers land just after routing answers."""
    servers = Servers(stack.intake.settings.kafka_bootstrap, stack.intake.settings.mongodb_url)
    for _ in range(50):
        values = await read_topic(servers, stack.intake.topics.events)
        if values:
            return values
        await asyncio.sleep(0.2)
    return []


async def test_photos_are_checked_stripped_of_exif_stored_once_and_shown_to_the_allowed(
    stack: Stack,
) -> None:
    photo = jpeg_with_gps()
    assert b"KandooCam" in photo
    files = [("photos", ("IMG_0001.jpg", photo, "image/jpeg"))]
    data = {"complaint": json.dumps(report(), ensure_ascii=False)}
    created = await stack.http.post("/v1/complaints", data=data, files=files)
    assert created.status_code == 201, created.text
    events = [json.loads(v) for v in await read_topic_events(stack)]
    sha = next(e for e in events if e["type"] == "complaint.submitted")["data"]["photos"][0]

    staff = await stack.http.get(f"/v1/photos/{sha}", headers=bearer(ENGINEERING))
    assert staff.status_code == 200
    assert staff.headers["content-type"] == "image/jpeg"
    assert b"KandooCam" not in staff.content
    assert not Image.open(io.BytesIO(staff.content)).getexif()
    assert (await stack.http.get(f"/v1/photos/{sha}")).status_code == 403
    token = {"X-Tracking-Token": created.json()["tracking_token"]}
    assert (await stack.http.get(f"/v1/photos/{sha}", headers=token)).status_code == 200

    again = await stack.http.post("/v1/complaints", data=data, files=files)
    assert again.status_code == 201
    db = stack.intake.mongo[stack.intake.settings.mongodb_db]
    assert await db["photos.files"].count_documents({}) == 1


async def test_a_file_that_is_not_an_image_is_refused_whatever_its_name(stack: Stack) -> None:
    files = [("photos", ("photo.jpg", b"%PDF-1.7 not an image", "image/jpeg"))]
    data = {"complaint": json.dumps(report())}
    response = await stack.http.post("/v1/complaints", data=data, files=files)
    assert response.status_code == 422
    assert response.json()["fields"][0]["field"] == "photos.0"


async def test_department_actions_and_their_refusals(stack: Stack) -> None:
    created = await submit(stack)
    cid = created["complaint_id"]
    other = await stack.http.post(
        f"/v1/complaints/{cid}/acknowledge", headers=bearer(PUBLIC_HEALTH)
    )
    assert other.status_code == 403
    ack = await stack.http.post(f"/v1/complaints/{cid}/acknowledge", headers=bearer(ENGINEERING))
    assert ack.status_code == 200, ack.text
    assert ack.json()["status"] == "acknowledged"
    no_note = await stack.http.post(
        f"/v1/complaints/{cid}/resolve", json={"note": ""}, headers=bearer(ENGINEERING)
    )
    assert no_note.status_code == 422
    assert no_note.json()["code"] == "note_required"
    resolved = await stack.http.post(
        f"/v1/complaints/{cid}/resolve", json={"note": "เปลี่ยนหลอดแล้ว"}, headers=bearer(ENGINEERING)
    )
    assert resolved.json()["status"] == "resolved"
    again = await stack.http.post(
        f"/v1/complaints/{cid}/resolve", json={"note": "อีกครั้ง"}, headers=bearer(ENGINEERING)
    )
    assert again.status_code == 409
    anonymous_rating = await stack.http.post(f"/v1/complaints/{cid}/rate", json={"rating": 5})
    assert anonymous_rating.status_code == 403
    rating = await stack.http.post(
        f"/v1/complaints/{cid}/rate",
        json={"rating": 5},
        headers={"X-Tracking-Token": created["tracking_token"]},
    )
    assert rating.status_code == 200, rating.text


async def test_acting_on_an_unknown_complaint_is_404(stack: Stack) -> None:
    response = await stack.http.post("/v1/complaints/no-such-id/acknowledge", headers=bearer(CLERK))
    assert response.status_code == 404


async def test_a_bad_token_is_401(stack: Stack) -> None:
    response = await stack.http.post(
        "/v1/complaints", json=report(), headers={"Authorization": "Bearer not.a.token"}
    )
    assert response.status_code == 401


async def test_open311_discovery_services_and_request(stack: Stack) -> None:
    services = (await stack.http.get("/open311/v2/services.json")).json()
    assert len(services) == 16
    assert (await stack.http.get("/open311/v2/services/road.json")).status_code == 200
    assert (await stack.http.get("/open311/v2/services/ufo.json")).status_code == 404
    assert (await stack.http.get("/open311/v2/discovery.json")).json()["endpoints"]
    form = {
        "service_code": "waste",
        "lat": "12.5705",
        "long": "99.9563",
        "description": "ขยะล้นถัง",
        "email": "",
        "first_name": "Anna",
    }
    denied = await stack.http.post("/open311/v2/requests.json", data=form)
    assert denied.status_code == 403
    assert denied.json()[0]["code"] == 403
    created = await stack.http.post(
        "/open311/v2/requests.json", data=form | {"api_key": "development-open311-key"}
    )
    assert created.status_code == 200, created.text
    assert created.json()[0]["service_request_id"]
    unknown = await stack.http.post(
        "/open311/v2/requests.json",
        data=form | {"api_key": "development-open311-key", "service_code": "ufo"},
    )
    assert unknown.status_code == 400
    long_names = {"first_name": "ก" * 150, "last_name": "ข" * 150}
    too_long = await stack.http.post(
        "/open311/v2/requests.json",
        data=form | {"api_key": "development-open311-key"} | long_names,
    )
    assert too_long.status_code == 400, "never a 500 for a long name"
    assert "first_name" in too_long.json()[0]["description"]


async def test_an_answer_slower_than_the_budget_is_202_with_a_status_link(stack: Stack) -> None:
    stack.intake.settings.wait_budget_s = 0.0
    response = await stack.http.post("/v1/complaints", json=report())
    assert response.status_code == 202
    command_id = response.json()["command_id"]
    stack.intake.settings.wait_budget_s = 3.0
    for _ in range(100):
        status = await stack.http.get(f"/v1/commands/{command_id}")
        if status.status_code == 200:
            break
        await asyncio.sleep(0.1)
    assert status.json()["outcome"] == "accepted"


async def test_an_open311_request_not_decided_in_time_gets_a_token_that_finds_it(
    stack: Stack,
) -> None:
    stack.intake.settings.wait_budget_s = 0.0
    form = {
        "api_key": "development-open311-key",
        "service_code": "waste",
        "lat": "12.5805",
        "long": "99.9463",
        "description": "ขยะล้นถังหน้าโรงเรียน",
    }
    answered = await stack.http.post("/open311/v2/requests.json", data=form)
    stack.intake.settings.wait_budget_s = 3.0
    assert answered.status_code == 200, answered.text
    created = answered.json()[0]
    assert "service_request_id" not in created
    token = created["token"]
    found = await stack.http.get(f"/open311/v2/tokens/{token}.xml")
    assert found.status_code == 200
    assert "<service_request_id>" in found.text
    as_json = (await stack.http.get(f"/open311/v2/tokens/{token}.json")).json()[0]
    assert as_json["token"] == token
    assert as_json["service_request_id"]
    assert (await stack.http.get("/open311/v2/tokens/nope.json")).status_code == 404


async def test_ready_only_while_it_reaches_kafka_and_reads_routings_answers(
    stack: Stack,
) -> None:
    assert (await stack.http.get("/readyz")).status_code == 200
    await stack.intake.bus.stop()
    answer = await stack.http.get("/readyz")
    assert answer.status_code == 503
    assert answer.json()["status"] == "not ready"


async def test_when_kafka_does_not_acknowledge_the_caller_gets_503(stack: Stack) -> None:
    await stack.intake.bus.stop()
    response = await stack.http.post("/v1/complaints", json=report())
    assert response.status_code == 503
    assert response.headers["retry-after"]


async def test_limits_answer_413_and_429(stack: Stack) -> None:
    stack.intake.settings.max_body_bytes = 100
    big = await stack.http.post("/v1/complaints", json=report(description="ก" * 300))
    assert big.status_code == 413
    statuses = [(await stack.http.get("/open311/v2/services.json")).status_code for _ in range(40)]
    assert 429 in statuses


async def test_a_chunked_body_without_a_length_is_capped_too(stack: Stack) -> None:
    sent = 0

    async def sixty_megabytes() -> AsyncIterator[bytes]:
        nonlocal sent
        chunk = b"x" * (1024 * 1024)
        for _ in range(60):
            sent += len(chunk)
            yield chunk

    answer = await stack.http.post(
        "/v1/complaints",
        content=sixty_megabytes(),
        headers={"Content-Type": "application/json", "Accept-Language": "th"},
    )
    assert "content-length" not in answer.request.headers
    assert answer.status_code == 413
    assert answer.json()["code"] == "body_too_large"
    assert sent <= stack.intake.settings.max_body_bytes + 2 * 1024 * 1024, "stopped reading"


async def test_browsers_behind_one_address_have_limits_of_their_own_under_its_ceiling(
    stack: Stack,
) -> None:
    stack.intake.per_ip = RateLimiter(40)  # a burst of 10 per browser
    stack.intake.per_address = RateLimiter(100)  # a burst of 25 for the address

    async def ask(browser: str) -> int:
        headers = {"X-Kandoo-Client": browser}
        return (await stack.http.get("/open311/v2/services.json", headers=headers)).status_code

    first = [await ask("browser-a") for _ in range(12)]
    second = [await ask("browser-b") for _ in range(10)]
    assert first[:10] == [200] * 10
    assert first[10:] == [429, 429]
    assert second == [200] * 10, "another browser at the same address is not throttled"
    rest = [await ask(f"browser-{n}") for n in range(8)]
    assert 429 in rest, "the address as a whole has a ceiling"


async def test_metrics_count_requests_by_route_and_status(stack: Stack) -> None:
    await stack.http.get("/open311/v2/services.json")
    body = (await stack.http.get("/metrics")).text
    assert 'kandoo_intake_requests_total{route="/open311/v2/services.{fmt}",status="200"}' in body


async def test_the_correlation_id_of_a_request_is_answered_and_carried_into_the_log(
    stack: Stack,
) -> None:
    answer = await stack.http.post(
        "/v1/complaints", json=report(), headers={"X-Correlation-Id": "city-app-req-7781"}
    )
    assert answer.headers["X-Correlation-Id"] == "city-app-req-7781"
    cid = answer.json()["complaint_id"]
    events = [json.loads(v) for v in await read_topic_events(stack)]
    mine = [e for e in events if e["subject"] == cid]
    assert mine
    assert {e["correlationid"] for e in mine} == {"city-app-req-7781"}
    made = await stack.http.post(
        "/v1/complaints", json=report(), headers={"X-Correlation-Id": "bad id!"}
    )
    assert re.fullmatch(r"[0-9a-f]{32}", made.headers["X-Correlation-Id"]), "one of intake's own"
