"""Dependencies shared by reporting's routers: the service, the read models, the caller,
the language of answers; and the error every router raises."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import Depends, Header, Request, Response

from kandoo.events.auth import Caller, InvalidToken, caller_from
from kandoo.events.values import STAFF_ROLES, Role
from kandoo.reporting.adapters.store import ReadModels
from kandoo.reporting.bootstrap import Reporting

MESSAGES = {
    "not_found": ("ไม่พบเรื่องร้องเรียนนี้", "No such complaint"),
    "unknown_department": ("ไม่พบหน่วยงานนี้", "No such department"),
    "invalid_token": ("โทเค็นไม่ถูกต้องหรือหมดอายุ", "The token is invalid or expired"),
    "staff_only": ("สำหรับเจ้าหน้าที่เท่านั้น", "For municipal staff only"),
    "other_department": (
        "เจ้าหน้าที่หน่วยงานดูได้เฉพาะข้อมูลของหน่วยงานตนเอง",
        "Department staff see their own department only",
    ),
    "bad_range": ("ช่วงวันที่ไม่ถูกต้อง", "Invalid date range"),
    "bad_bbox": (
        "ขอบเขตแผนที่ไม่ถูกต้อง (ตะวันตก,ใต้,ตะวันออก,เหนือ)",
        "Invalid bbox (west,south,east,north in degrees)",
    ),
    "bad_point": ("กรุณาระบุ lat และ lon หรือ bbox", "Give lat and lon, or bbox"),
    "too_wide": (
        "พื้นที่กว้างเกินไป กรุณาซูมเข้า (หรือใช้ /v1/hotspots)",
        "The area is too wide: zoom in (or use /v1/hotspots)",
    ),
    "unknown_jurisdiction": ("ไม่รู้จักรหัสเขตปกครองนี้", "Unknown jurisdiction_id"),
}


class ApiError(Exception):
    def __init__(self, status: int, code: str, language: str, field: str | None = None) -> None:
        th, en = MESSAGES[code]
        self.status, self.code = status, code
        self.message = th if language == "th" else en
        self.fields = [{"field": field, "reason": self.message}] if field else []


def language(accept_language: Annotated[str | None, Header()] = None) -> str:
    first = (accept_language or "").split(",")[0].strip().lower()
    return "en" if first.startswith("en") else "th"


async def reporting(request: Request) -> Reporting:
    found: Reporting = request.app.state.reporting
    return found


async def models(r: Annotated[Reporting, Depends(reporting)]) -> ReadModels:
    return await r.models()


async def caller(
    r: Annotated[Reporting, Depends(reporting)],
    lang: Annotated[str, Depends(language)],
    authorization: Annotated[str | None, Header()] = None,
) -> Caller:
    try:
        return caller_from(authorization, None, r.settings.jwt_secret)
    except InvalidToken as exc:
        raise ApiError(401, "invalid_token", lang) from exc


async def staff(
    who: Annotated[Caller, Depends(caller)], lang: Annotated[str, Depends(language)]
) -> Caller:
    if who.actor.role not in STAFF_ROLES:
        raise ApiError(403, "staff_only", lang)
    return who


def sees_department(who: Caller, department: str) -> bool:
    """A department admin reads their own department; the clerk, supervisors, analysts
    and the system read every one."""
    actor = who.actor
    return actor.role is not Role.DEPT_ADMIN or actor.department == department


ReportingDep = Annotated[Reporting, Depends(reporting)]
ModelsDep = Annotated[ReadModels, Depends(models)]
LanguageDep = Annotated[str, Depends(language)]
CallerDep = Annotated[Caller, Depends(caller)]
StaffDep = Annotated[Caller, Depends(staff)]


def built_answer(found: Any) -> Response:
    """JSON of an answer the service built to its published model (the tests check it
    against the schema): large answers (a year by day, a city's cells) are not validated
    again on every call."""
    return Response(orjson.dumps(found), media_type="application/json")


OFFSET_PAGING = (
    "Offset paging (page, page_size). The read models count what each bucket holds, so a "
    "page reads only the buckets it shows, never the pages it skips: page 1,000 costs what "
    "page 1 does, and no cursor is needed."
)
