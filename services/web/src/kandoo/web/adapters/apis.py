"""The web service's only ways in: intake's write API and reporting's read API, over HTTP.

Every call carries the citizen's address (`X-Forwarded-For`, which intake believes from us
only) and a hash of their browser's id (`X-Kandoo-Client`), so intake's per-address limits
apply to citizens, not to this service, and many citizens behind one office address are
told apart.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass(frozen=True)
class Citizen:
    """Who is asking, as intake should see them."""

    address: str
    client: str
    language: str

    def headers(self) -> dict[str, str]:
        return {
            "X-Forwarded-For": self.address,
            "X-Kandoo-Client": self.client,
            "Accept-Language": self.language,
        }


@dataclass(frozen=True)
class StaffCaller:
    """A staff member through the console: the token minted for them, their language and
    their address (so intake's limits and logs see the person, not this service)."""

    token: str
    language: str
    address: str

    def headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.token}",
            "Accept-Language": self.language,
            "X-Forwarded-For": self.address,
        }


Who = Citizen | StaffCaller


@dataclass(frozen=True)
class Answer:
    """An API's answer: its status and JSON body (an error has `code`, `message`, `fields`)."""

    status: int
    body: Any

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def field_errors(self) -> dict[str, str]:
        body = self.body if isinstance(self.body, dict) else {}
        out: dict[str, str] = {}
        for f in body.get("fields") or []:
            out.setdefault(str(f.get("field", "")), str(f.get("reason", "")))
        return out

    @property
    def code(self) -> str:
        return str(self.body.get("code", "")) if isinstance(self.body, dict) else ""

    @property
    def message(self) -> str:
        return str(self.body.get("message", "")) if isinstance(self.body, dict) else ""


UNAVAILABLE = Answer(503, {"code": "unavailable", "message": "", "fields": []})


async def _answer(call: Any) -> Answer:
    try:
        response: httpx.Response = await call
    except httpx.HTTPError:
        return UNAVAILABLE
    try:
        body = response.json()
    except ValueError:
        body = {"code": "bad_answer", "message": response.text[:200], "fields": []}
    return Answer(response.status_code, body)


class IntakeApi:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def submit(
        self,
        report: dict[str, Any],
        photos: list[tuple[str, bytes, str]],
        who: Citizen,
        idempotency_key: str,
    ) -> Answer:
        """`POST /v1/complaints`: JSON, or multipart (the report as JSON, the photos as
        files) when there are photos."""
        headers = who.headers() | {"Idempotency-Key": idempotency_key}
        if not photos:
            return await _answer(self.http.post("/v1/complaints", json=report, headers=headers))
        files = [("photos", photo) for photo in photos]
        data = {"complaint": json.dumps(report, ensure_ascii=False)}
        return await _answer(
            self.http.post("/v1/complaints", data=data, files=files, headers=headers)
        )

    async def act(
        self,
        complaint_id: str,
        action: str,
        body: dict[str, Any] | None,
        who: Who,
        tracking_token: str | None = None,
        idempotency_key: str | None = None,
    ) -> Answer:
        headers = who.headers()
        if tracking_token:
            headers["X-Tracking-Token"] = tracking_token
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        return await _answer(
            self.http.post(f"/v1/complaints/{complaint_id}/{action}", json=body, headers=headers)
        )

    async def add_photo(
        self, complaint_id: str, photo: tuple[str, bytes, str], who: StaffCaller
    ) -> Answer:
        """Staff: store a photo for the complaint (the "after" photo); its SHA-256 back."""
        return await _answer(
            self.http.post(
                f"/v1/complaints/{complaint_id}/photos",
                files={"photo": photo},
                headers=who.headers(),
            )
        )

    async def appoint(
        self, department: str, person_id: str, name: str, language: str, who: StaffCaller
    ) -> Answer:
        body = {"person_id": person_id, "name": name, "language": language}
        return await _answer(
            self.http.post(f"/v1/departments/{department}/admins", json=body, headers=who.headers())
        )

    async def remove_admin(self, department: str, person_id: str, who: StaffCaller) -> Answer:
        return await _answer(
            self.http.post(
                f"/v1/departments/{department}/admins/{person_id}/remove",
                json={"reason": ""},
                headers=who.headers(),
            )
        )

    async def remove_photo(self, sha256: str, reason: str, who: StaffCaller) -> int:
        """The clerk's deletion of a photo, as intake answers it (204, 403, 404...)."""
        try:
            answer = await self.http.delete(
                f"/v1/photos/{sha256}", params={"reason": reason[:500]}, headers=who.headers()
            )
        except httpx.HTTPError:
            return 503
        return answer.status_code

    async def photo(
        self, sha256: str, tracking_token: str | None = None, who: StaffCaller | None = None
    ) -> tuple[int, bytes, str]:
        """A photo the reporter (by token) or staff may see, as intake decides: status,
        bytes, type."""
        headers = who.headers() if who else {"X-Tracking-Token": tracking_token or ""}
        try:
            response = await self.http.get(f"/v1/photos/{sha256}", headers=headers)
        except httpx.HTTPError:
            return 503, b"", "text/plain"
        kind = response.headers.get("content-type", "application/octet-stream")
        return response.status_code, response.content, kind

    async def ready(self) -> bool:
        return (await _answer(self.http.get("/readyz"))).ok


class ReportingApi:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def get(
        self, path: str, language: str, who: StaffCaller | None = None, **params: Any
    ) -> Answer:
        query = {k: v for k, v in params.items() if v is not None}
        headers = who.headers() if who else {"Accept-Language": language}
        return await _answer(self.http.get(path, params=query, headers=headers))

    async def text(self, path: str, who: StaffCaller, **params: Any) -> tuple[int, str]:
        """A non-JSON answer (CSV): status and text."""
        query = {k: v for k, v in params.items() if v is not None}
        try:
            response = await self.http.get(path, params=query, headers=who.headers())
        except httpx.HTTPError:
            return 503, ""
        return response.status_code, response.text

    async def track(self, code: str, language: str) -> Answer:
        return await self.get(f"/v1/track/{code}", language)

    async def nearby(self, lat: float, lon: float, language: str) -> Answer:
        return await self.get("/v1/nearby", language, lat=lat, lon=lon, radius=50, limit=10)

    async def points(self, bbox: str, language: str) -> Answer:
        return await self.get("/v1/nearby", language, bbox=bbox, limit=200)

    async def hotspots(
        self, bbox: str | None, category: str | None, status: str, language: str
    ) -> Answer:
        return await self.get("/v1/hotspots", language, bbox=bbox, category=category, status=status)

    async def public_stats(self, first: str, last: str, language: str) -> Answer:
        return await self.get("/v1/stats/public", language, None, **{"from": first, "to": last})

    async def ready(self) -> bool:
        return (await _answer(self.http.get("/readyz"))).ok
