"""The staff console's rules, pure: who a staff member is, what they may see and do, and
how failed logins slow down and then lock an account."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from kandoo.events.values import Actor, Role

STAFF_ROLES = (Role.DEPT_ADMIN, Role.SUPERVISOR, Role.CLERK, Role.ANALYST)
"""The roles a console account can have (the system role is for services only)."""
MIN_PASSWORD = 10
USERNAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-_.")


@dataclass(frozen=True)
class Staff:
    """A staff member as the console knows them (never their password hash)."""

    username: str
    name: str
    role: Role
    department: str | None
    language: str = "th"

    @property
    def actor(self) -> Actor:
        return Actor(id=self.username, role=self.role, department=self.department)

    @property
    def sees_all(self) -> bool:
        """The clerk, supervisors (the mayor's office among them) and analysts read every
        department; a department admin reads their own."""
        return self.role is not Role.DEPT_ADMIN

    def sees(self, department: str | None) -> bool:
        return self.sees_all or (department is not None and department == self.department)

    @property
    def may_triage(self) -> bool:
        return self.role in (Role.CLERK, Role.SUPERVISOR)

    @property
    def may_see_health(self) -> bool:
        return self.role in (Role.CLERK, Role.SUPERVISOR, Role.ANALYST)

    @property
    def may_appoint(self) -> bool:
        return self.role in (Role.CLERK, Role.SUPERVISOR)

    @property
    def may_manage_accounts(self) -> bool:
        return self.role is Role.CLERK

    @property
    def may_erase(self) -> bool:
        """The clerk takes PDPA requests by phone or letter: erases a complaint's personal
        data and deletes photos that show a person."""
        return self.role is Role.CLERK

    @property
    def acts(self) -> bool:
        """Analysts read; everyone else on the console acts on complaints."""
        return self.role is not Role.ANALYST


@dataclass(frozen=True)
class Throttle:
    """Failed logins: each one doubles the wait before the next try (1 s, 2 s, 4 s...,
    at most `max_delay`); `lock_after` in a row lock the account for `lock_for`."""

    lock_after: int = 5
    lock_for: timedelta = timedelta(minutes=15)
    first_delay: timedelta = timedelta(seconds=1)
    max_delay: timedelta = timedelta(seconds=30)

    def after_failure(self, failures: int, now: datetime) -> tuple[datetime, datetime | None]:
        """(no try before, locked until or None) after the `failures`-th failure in a row."""
        delay = min(self.first_delay * 2 ** max(failures - 1, 0), self.max_delay)
        locked = now + self.lock_for if failures >= self.lock_after else None
        return now + delay, locked


def new_secret() -> str:
    """A session id or CSRF token: 256 random bits."""
    return secrets.token_urlsafe(32)


def username_problem(username: str) -> str | None:
    """Why a username cannot be used (a words key), or None."""
    if not 3 <= len(username) <= 40 or not set(username) <= USERNAME_CHARS:
        return "staff_bad_username"
    return None


def password_problem(password: str, username: str) -> str | None:
    if len(password) < MIN_PASSWORD:
        return "staff_short_password"
    if username and username.lower() in password.lower():
        return "staff_password_has_username"
    return None
