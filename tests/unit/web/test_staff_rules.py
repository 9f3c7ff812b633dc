"""The console's pure rules: who sees and does what, and how failed logins slow down and
then lock an account."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kandoo.events.values import Role
from kandoo.web.domain.staff import Staff, Throttle, password_problem, username_problem

NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)
ENGINEERING = Staff("eng-admin-1", "สมชาย", Role.DEPT_ADMIN, "engineering")
CLERK = Staff("clerk-noi", "น้อย", Role.CLERK, "clerk")
MAYOR = Staff("mayor-office", "สำนักนายก", Role.SUPERVISOR, None)
ANALYST = Staff("analyst-1", "วิเคราะห์", Role.ANALYST, None)


def test_a_department_admin_sees_their_own_department_only() -> None:
    assert ENGINEERING.sees("engineering")
    assert not ENGINEERING.sees("public_health")
    assert not ENGINEERING.sees(None), "an unrouted report is the clerk's"
    assert not ENGINEERING.may_see_health
    assert not ENGINEERING.may_triage
    assert not ENGINEERING.may_appoint
    assert ENGINEERING.actor.department == "engineering"


@pytest.mark.parametrize("staff", [CLERK, MAYOR, ANALYST])
def test_the_clerk_supervisors_and_analysts_see_every_department(staff: Staff) -> None:
    assert staff.sees("public_health")
    assert staff.may_see_health


def test_only_the_clerk_and_supervisors_appoint_and_triage_and_only_analysts_only_read() -> None:
    assert CLERK.may_appoint
    assert MAYOR.may_appoint
    assert CLERK.may_triage
    assert MAYOR.may_triage
    assert not ANALYST.may_appoint
    assert not ANALYST.acts
    assert CLERK.may_manage_accounts
    assert not MAYOR.may_manage_accounts


def test_each_failure_doubles_the_wait_and_the_fifth_locks() -> None:
    throttle = Throttle(lock_after=5, lock_for=timedelta(minutes=15))
    waits = []
    for failures in range(1, 6):
        not_before, locked = throttle.after_failure(failures, NOW)
        waits.append((not_before - NOW).total_seconds())
        assert (locked is not None) == (failures == 5)
    assert waits == [1, 2, 4, 8, 16]
    _, locked = throttle.after_failure(5, NOW)
    assert locked == NOW + timedelta(minutes=15)
    far, _ = throttle.after_failure(12, NOW)
    assert far - NOW == timedelta(seconds=30), "the wait stops growing at 30 s"


def test_usernames_and_passwords_that_are_refused() -> None:
    assert username_problem("sw-somsri") is None
    assert username_problem("Somsri") == "staff_bad_username"
    assert username_problem("ab") == "staff_bad_username"
    assert password_problem("short", "x") == "staff_short_password"
    assert password_problem("sw-somsri-2026!", "sw-somsri") == "staff_password_has_username"
    assert password_problem("ทะเลหัวหินสวยมาก", "sw-somsri") is None
