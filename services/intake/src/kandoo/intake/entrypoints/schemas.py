"""What callers send and get back: the public JSON API's request and response bodies."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from kandoo.events.values import Location


class ReporterIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, max_length=200, description="Name, optional")
    phone: str | None = Field(default=None, max_length=40, description="Phone for updates")
    email: str | None = Field(default=None, max_length=320, description="E-mail for updates")
    line_user_id: str | None = Field(default=None, max_length=100, description="LINE user id")
    anonymous: bool = Field(default=False, description="Do not contact me")


class ComplaintIn(BaseModel):
    """A new report from a citizen or business."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "description": "ไฟถนนดับทั้งซอยหัวหิน 94 มืดมาก อันตรายตอนกลางคืน",
                    "location": {"lat": 12.5684, "lon": 99.9577, "address_text": "ซอยหัวหิน 94"},
                    "category": "streetlight",
                    "reporter": {"name": "สมศรี", "phone": "0812345678"},
                    "channel": "mobile",
                    "language": "th",
                },
                {
                    "description": "Garbage not collected for four days by the night market.",
                    "location": {"lat": 12.5705, "lon": 99.9563},
                    "reporter": {"email": "visitor@example.com"},
                    "language": "en",
                },
            ]
        },
    )

    description: str = Field(min_length=1, max_length=4000, description="What is wrong, and where")
    location: Location = Field(description="The map pin (WGS84)")
    category: str | None = Field(
        default=None, description="Category code, if the reporter picked one"
    )
    reporter: ReporterIn = Field(default_factory=ReporterIn, description="Contact, optional")
    channel: Literal["web", "mobile", "line", "phone", "counter"] = Field(
        default="web", description="How the report came in"
    )
    language: Literal["th", "en"] = Field(default="th", description="Language of the answers")


class Accepted(BaseModel):
    """The report is recorded and routed (201), or received and still being decided (202)."""

    complaint_id: str
    tracking_code: str = Field(description="Short code to read aloud, e.g. HH-7K4P-2Q")
    tracking_token: str | None = Field(
        default=None,
        description="Secret to add notes, rate or reopen: keep it (header X-Tracking-Token)",
    )
    status: str | None = Field(default=None, description="routed, triage, forwarded or duplicate")
    department: str | None = None
    duplicate_of: str | None = None
    status_url: str = Field(description="Where to follow the complaint")
    command_id: str
    command_status_url: str
    message: str | None = None


class ActionResult(BaseModel):
    command_id: str
    complaint_id: str
    outcome: str
    status: str | None = None
    department: str | None = None
    events: list[dict[str, Any]] = []


class Problem(BaseModel):
    """An error: a code, a message in the request's language, and the fields at fault."""

    code: str
    message: str
    fields: list[dict[str, str]] = []


class AssignIn(BaseModel):
    assignee: str = Field(min_length=1, max_length=200, examples=["ทีมซ่อมไฟฟ้า 2"])


class RecategorizeIn(BaseModel):
    category: str = Field(examples=["drainage"])


class RerouteIn(BaseModel):
    department: str = Field(examples=["public_health"])
    reason: str = Field(min_length=1, max_length=1000, examples=["เป็นเรื่องขยะ ไม่ใช่ถนน"])


class ForwardIn(BaseModel):
    agency: str = Field(examples=["pwa"])
    note: str | None = Field(default=None, max_length=2000)


class LocationIn(BaseModel):
    location: Location


class NoteIn(BaseModel):
    text: str = Field(min_length=1, max_length=4000, examples=["ทีมงานจะเข้าตรวจสอบพรุ่งนี้เช้า"])
    public: bool = True


class ResolveIn(BaseModel):
    note: str = Field(default="", max_length=4000, examples=["เปลี่ยนหลอดไฟเรียบร้อยแล้ว"])
    photos: list[str] = Field(default=[], max_length=5, description="SHA-256 of uploaded photos")


class RejectIn(BaseModel):
    reason: str = Field(default="", max_length=4000, examples=["อยู่นอกความรับผิดชอบของเทศบาล"])


class EraseIn(BaseModel):
    reason: str = Field(
        default="PDPA request by the data subject",
        min_length=1,
        max_length=1000,
        examples=["ขอใช้สิทธิ์ลบข้อมูลส่วนบุคคลตาม PDPA"],
    )


class ReopenIn(BaseModel):
    reason: str = Field(min_length=1, max_length=4000, examples=["ไฟดับอีกแล้ว"])


class RateIn(BaseModel):
    rating: int = Field(ge=1, le=5, examples=[5])
    comment: str | None = Field(default=None, max_length=2000, examples=["รวดเร็วมาก ขอบคุณค่ะ"])


class DuplicateIn(BaseModel):
    original_id: str


class SupportIn(BaseModel):
    """ "Me too": the same problem, supported instead of reported twice."""

    model_config = ConfigDict(extra="forbid")

    supporter_token: str = Field(
        min_length=16,
        max_length=200,
        description="A secret of the supporter's own (one per device): each supports once",
    )
    contact: ReporterIn = Field(
        default_factory=ReporterIn, description="Contact, to be told of updates; optional"
    )
