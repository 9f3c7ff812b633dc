"""What the public sees of a complaint: never names, comments, channel ids or internal
notes; of a sensitive one, the status only."""

from __future__ import annotations

from typing import Any

from kandoo.reporting.domain import views


def doc(**more: Any) -> dict[str, Any]:
    timeline = [
        {"type": "complaint.submitted", "actor": {"id": "anonymous", "role": "citizen"}},
        {
            "type": "complaint.assigned",
            "assignee": "นายช่าง สมปอง",
            "actor": {"id": "eng-admin-1", "role": "dept_admin", "department": "engineering"},
        },
        {"type": "complaint.note_added", "text": "ภายใน: ผู้รับเหมาช้า", "public": False},
        {"type": "complaint.note_added", "text": "กำลังซ่อม", "public": True},
        {"type": "complaint.rated", "rating": 2, "comment": "ช้ามาก คุณสมปองไม่รับสาย"},
    ]
    return {
        "_id": "c-1",
        "tracking_code": "HH-2345-67",
        "status": "resolved",
        "description": "ถนนเป็นหลุม",
        "location": {"lat": 12.57, "lon": 99.95},
        "assignee": "นายช่าง สมปอง",
        "rating": 2,
        "rating_comment": "ช้ามาก คุณสมปองไม่รับสาย",
        "reporter": {"sealed": "v1.reporter.xyz", "reach": ["phone"]},
        "timeline": timeline,
        **more,
    }


def test_the_public_view_has_no_names_comments_or_internal_notes() -> None:
    shown = str(views.public(doc(), [], {}))
    for secret in ("สมปอง", "ภายใน", "ไม่รับสาย", "eng-admin-1", "sealed"):
        assert secret not in shown, secret
    assert "กำลังซ่อม" in shown
    assert "ถนนเป็นหลุม" in shown


def test_the_staff_view_keeps_them() -> None:
    shown = views.staff(doc(), [], {})
    assert shown["assignee"] == "นายช่าง สมปอง"
    assert shown["rating_comment"] == "ช้ามาก คุณสมปองไม่รับสาย"
    assert any(e.get("assignee") for e in shown["timeline"])


def test_a_sensitive_complaint_shows_the_public_its_status_only() -> None:
    shown = views.public(doc(sensitive=True), [], {})
    assert shown["status"] == "resolved"
    assert "description" not in shown
    assert shown["timeline"] == []
    assert views.staff(doc(sensitive=True), [], {})["description"] == "ถนนเป็นหลุม"
