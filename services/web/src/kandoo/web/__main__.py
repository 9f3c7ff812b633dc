"""`python -m kandoo.web` (or `kandoo-web`): serve the pages with uvicorn;
`kandoo-web create-staff`: make a staff account (the first clerk's comes from here, never
from a default password)."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys

from kandoo.events.values import Role
from kandoo.runtime.service import configure_logging, serve_http
from kandoo.web.adapters.accounts import AccountExists
from kandoo.web.bootstrap import build
from kandoo.web.domain.staff import STAFF_ROLES, password_problem, username_problem
from kandoo.web.entrypoints.app import create_app
from kandoo.web.settings import WebSettings

PASSWORD_ENV = "KANDOO_STAFF_PASSWORD"  # noqa: S105 - the name of a variable, not a secret


def serve() -> int:
    configure_logging("web")
    settings = WebSettings()
    app = create_app(settings)
    return serve_http(app, settings.host, settings.port, settings.trusted_proxies)


def _password(username: str) -> str:
    """From the environment (scripts), else asked twice at the terminal."""
    given = os.environ.get(PASSWORD_ENV)
    if given is not None:
        return given
    first = getpass.getpass(f"Password for {username}: ")
    if getpass.getpass("Again: ") != first:
        raise SystemExit("the two passwords differ")
    return first


async def _create(args: argparse.Namespace) -> int:
    settings = WebSettings()
    username = args.username.strip().lower()
    role = Role(args.role)
    web = build(settings)
    try:
        if role is Role.DEPT_ADMIN and web.directory.department(args.department or "") is None:
            print("a department admin needs --department, a code from the directory")
            return 2
        password = _password(username)
        problem = username_problem(username) or password_problem(password, username)
        if problem:
            print(f"refused: {problem.removeprefix('staff_').replace('_', ' ')}")
            return 2
        try:
            await web.accounts.create(
                username, args.name, role, args.department, password, args.language
            )
        except AccountExists:
            print(f"{username} exists already")
            return 1
        print(f"created {role.value} {username} ({args.department or 'all departments'})")
        return 0
    finally:
        await web.stop()


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] != "create-staff":
        return serve()
    parser = argparse.ArgumentParser(prog="kandoo-web create-staff")
    parser.add_argument("--username", required=True)
    parser.add_argument("--name", required=True)
    parser.add_argument("--role", choices=[r.value for r in STAFF_ROLES], default="clerk")
    parser.add_argument("--department", default=None, help="department code (admins: required)")
    parser.add_argument("--language", choices=["th", "en"], default="th")
    args = parser.parse_args(argv[1:])
    if args.role == "clerk" and args.department is None:
        args.department = "clerk"
    return asyncio.run(_create(args))


if __name__ == "__main__":
    sys.exit(main())
