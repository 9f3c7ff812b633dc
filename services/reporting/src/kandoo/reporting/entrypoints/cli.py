"""`kandoo-reporting run | rebuild | export | as-of`: the service and the analysts' tools."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)

from kandoo.reporting.adapters.export import export
from kandoo.reporting.adapters.log_reader import LogGone
from kandoo.reporting.adapters.replay import as_of, rebuild
from kandoo.reporting.bootstrap import build
from kandoo.reporting.settings import ReportingSettings
from kandoo.runtime.loop import run as run_on_uvloop
from kandoo.runtime.service import configure_logging


def moment(text: str) -> datetime:
    """A date (midnight UTC) or an ISO date-time (UTC unless it says otherwise)."""
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        parsed = datetime.combine(date.fromisoformat(text), time())
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@contextmanager
def progress_bar(what: str) -> Iterator[Callable[[int, int], None]]:
    columns = (
        TextColumn(f"[bold]{what}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]:>9.0f} records/s"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, transient=False) as bar:
        task = bar.add_task(what, total=None, rate=0.0)
        loop_started = [0.0]

        def update(done: int, total: int) -> None:
            now = asyncio.get_running_loop().time()
            if not loop_started[0]:
                loop_started[0] = now
            elapsed = max(now - loop_started[0], 1e-6)
            bar.update(task, completed=done, total=total, rate=done / elapsed)

        yield update


def run_service(settings: ReportingSettings) -> None:
    import uvicorn

    from kandoo.reporting.entrypoints.app import create_app

    configure_logging("reporting")
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level="info",
        log_config=None,  # uvicorn's lines through the process's JSON logging
    )


async def _with_db(settings: ReportingSettings, job: Callable[[Any], Awaitable[str]]) -> str:
    r = build(settings.model_copy(update={"project": False}))
    try:
        return await job(r)
    finally:
        await r.stop()


def main(argv: list[str] | None = None) -> int:
    """The CLI; a replay that cannot be whole ends with its reason and status 2, not a
    traceback (readers stay on the generation they had)."""
    try:
        return _main(argv)
    except LogGone as exc:
        print(f"kandoo-reporting: {exc}", file=sys.stderr)
        return 2


def _main(argv: list[str] | None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    parser = argparse.ArgumentParser(prog="kandoo-reporting", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="serve the API and project events (the default service)")
    rb = sub.add_parser("rebuild", help="replay the log into fresh read models and switch")
    rb.add_argument("--department", help="print this department's queue size when done")
    ex = sub.add_parser("export", help="events of a time window, for analysts")
    ex.add_argument("--from", dest="start", type=moment, required=True)
    ex.add_argument("--to", dest="end", type=moment, required=True)
    ex.add_argument("--type", action="append", help="event type (repeatable)")
    ex.add_argument("--department")
    ex.add_argument("--format", choices=("jsonl", "csv", "parquet"), default="jsonl")
    ex.add_argument("-o", "--output", type=Path, required=True)
    ex.add_argument(
        "--include-personal-data",
        action="store_true",
        help="open the reporters' and supporters' contacts that are not erased (the file "
        "then holds personal data: PDPA applies to whoever keeps it)",
    )
    ao = sub.add_parser("as-of", help="the read models as they stood at a past moment")
    ao.add_argument("moment", type=moment)
    ao.add_argument("--db", required=True, help="database to build them in (replaced)")
    args = parser.parse_args(argv)
    settings = ReportingSettings()

    if args.command == "run":
        run_service(settings)
        return 0
    if args.command == "rebuild":

        async def do_rebuild(r: Any) -> str:
            with progress_bar("rebuild") as update:
                result = await rebuild(settings, r.db, r.directory, update)
            note = ""
            if args.department:
                models = await r.models()
                found = await models["departments"].find_one({"_id": args.department})
                n = int((found or {}).get("open", 0))
                note = f"; {args.department}: {n} open in its queue"
            return (
                f"generation {result.generation}: {result.events} events "
                f"({result.records} records) in {result.seconds:.1f}s, "
                f"{result.rate:.0f} records/s{note}"
            )

        print(run_on_uvloop(_with_db(settings, do_rebuild)))
        return 0
    if args.command == "export":

        async def do_export(r: Any) -> str:
            with progress_bar("export") as update:
                n = await export(
                    settings,
                    r.db,
                    args.start,
                    args.end,
                    args.output,
                    args.format,
                    set(args.type) if args.type else None,
                    args.department,
                    update,
                    r.keys if args.include_personal_data else None,
                )
            if args.include_personal_data:
                return (
                    f"{n} events written to {args.output}\n"
                    f"WARNING: {args.output} CONTAINS PERSONAL DATA (reporters' and "
                    "supporters' names, phones, e-mails, LINE ids): keep it only as long "
                    "as the task needs, share it with no one, delete it after (PDPA)"
                )
            return f"{n} events written to {args.output} (no personal data)"

        print(asyncio.run(_with_db(settings, do_export)))
        return 0

    async def do_as_of(r: Any) -> str:
        target = r.client[args.db]
        with progress_bar("as-of") as update:
            n = await as_of(settings, target, r.directory, args.moment, update)
        return f"read models as of {args.moment.isoformat()}: {n} events, in database {args.db}"

    print(asyncio.run(_with_db(settings, do_as_of)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
