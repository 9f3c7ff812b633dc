"""Who is calling: bearer tokens (JWT, HS256) with role and department, or nobody.

Citizens may submit without a token. A reporter proves a complaint is theirs with the
tracking token handed out at submission (header `X-Tracking-Token`).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt

from kandoo.events.values import Actor, Role

ALGORITHM = "HS256"
ANONYMOUS = Actor(id="anonymous", role=Role.CITIZEN)


class InvalidToken(Exception):
    """The bearer token is malformed, expired or not signed by us."""


@dataclass(frozen=True)
class Caller:
    actor: Actor
    token_subject: str | None = None  # who, for per-token rate limits
    tracking_token: str | None = None


def issue_token(secret: str, actor: Actor, ttl: timedelta = timedelta(hours=12)) -> str:
    """A signed token for staff and systems (also what tests and the demo use)."""
    now = datetime.now(UTC)
    claims = {"sub": actor.id, "role": actor.role.value, "iat": now, "exp": now + ttl}
    if actor.department:
        claims["department"] = actor.department
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def caller_from(authorization: str | None, tracking_token: str | None, secret: str) -> Caller:
    """The caller behind an `Authorization: Bearer ...` header, or an anonymous citizen."""
    if not authorization:
        return Caller(ANONYMOUS, tracking_token=tracking_token)
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise InvalidToken("use 'Authorization: Bearer <token>'")
    try:
        claims = jwt.decode(
            token, secret, algorithms=[ALGORITHM], options={"require": ["sub", "exp"]}
        )
        actor = Actor(
            id=str(claims["sub"]),
            role=Role(claims.get("role", "citizen")),
            department=claims.get("department"),
        )
    except (jwt.PyJWTError, ValueError) as exc:
        raise InvalidToken(str(exc)) from exc
    return Caller(actor, token_subject=actor.id, tracking_token=tracking_token)


def new_tracking_token() -> str:
    """The reporter's secret for acting on their own complaint."""
    return secrets.token_urlsafe(24)
