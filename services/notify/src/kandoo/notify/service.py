"""Notify: complaint events in, messages out through Apprise, each exactly once.

For every event the rules name recipients; each (event id, recipient, channel) is a
delivery whose record in MongoDB (unique `_id`) is written *before* the message goes out
and completed after. A redelivered event finds the record and sends nothing; a record
found still "sending" after a restart means the process died mid-send: it is not sent
again (a duplicate is worse than a gap here) but dead-lettered for an operator to check.
Failures are retried with exponential back-off and jitter by a loop of their own, so a
dead sink never holds up other deliveries; after `max_attempts` the delivery goes to
`notifications.dlq` with its reason. Every attempt's outcome is a notice on
`notifications.events`, which reporting adds to the complaint's timeline.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
from collections.abc import Callable, Coroutine
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit
from zoneinfo import ZoneInfo

import apprise
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord
from pymongo import ReplaceOne
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from kandoo.events.directory import Directory
from kandoo.events.events import STATUS_AFTER_TYPE
from kandoo.events.notices import Delivery, Notice, NoticeType
from kandoo.events.topics import Topics
from kandoo.events.values import OPEN_STATUSES
from kandoo.notify import tls
from kandoo.notify.messages import render
from kandoo.notify.metrics import NotifyMetrics
from kandoo.notify.rules import Case, ContactChannels, Recipient, Rule, Rules, recipients
from kandoo.notify.settings import NotifySettings
from kandoo.runtime.kafka_io import FIND_NEW_TOPICS_MS, consume_forever
from kandoo.runtime.mongo import bulk

log = logging.getLogger("kandoo.notify")
Doc = dict[str, Any]
OPEN = {s.value for s in OPEN_STATUSES}
STATUS_AFTER = STATUS_AFTER_TYPE | {"complaint.routed": "routed"}  # triage: see evolve_case


class PoisonEvent(ValueError):
    """A record that is not a complaint event notify can read."""


def evolve_case(case: Case, event: dict[str, Any]) -> None:
    """What notify remembers of a complaint after one of its events."""
    etype, data = event["type"], event.get("data") or {}
    if etype == "complaint.submitted":
        case.tracking_code = data["tracking_code"]
        case.language = data.get("language", "th")
        case.contact = dict(data.get("reporter") or {})
        case.category = data.get("category_chosen")
    elif etype in ("complaint.classified", "complaint.recategorized"):
        case.category = data["category"]
    elif etype in ("complaint.routed", "complaint.rerouted", "complaint.reopened"):
        case.department = data.get("department", case.department)
        case.acknowledge_by = data.get("acknowledge_by")
        case.resolve_by = data.get("resolve_by")
        if etype == "complaint.routed" and data.get("triage"):
            case.status = "triage"
    elif etype == "complaint.forwarded":
        case.department = data["agency"]
    elif etype == "complaint.acknowledged":
        case.department = data.get("department", case.department)
    elif etype == "complaint.reporter_data_erased":
        case.contact = {"erased": True}
    if etype in STATUS_AFTER and not (etype == "complaint.routed" and data.get("triage")):
        case.status = STATUS_AFTER[etype]


def scheme(url: str) -> str:
    return url.split("://", 1)[0].lower()


def via_relay(url: str, relay: str) -> str:
    """An e-mail URL sent through a development SMTP catcher instead, to the same address;
    other URLs unchanged."""
    if scheme(url) not in ("mailto", "mailtos"):
        return url
    parts = urlsplit(url)
    to = parse_qs(parts.query).get("to")
    address = to[0] if to else f"{unquote(parts.username or '')}@{parts.hostname or ''}"
    return f"mailto://{relay}?from=kandoo-dev@huahin.example&to={quote(address, safe='@')}"


class Sender:
    """Apprise, one notification at a time, with a timeout; (ok, reason)."""

    def __init__(self, timeout_s: float, relay: str = "") -> None:
        self.timeout_s, self.relay = timeout_s, relay
        tls.install()  # no CA bundle parsed for plain SMTP (kandoo.notify.tls)

    async def send(self, url: str, title: str, body: str) -> tuple[bool, str | None]:
        if self.relay:
            url = via_relay(url, self.relay)
        target = apprise.Apprise()
        if not target.add(url):
            return False, f"not an Apprise URL this build supports: {scheme(url)}://"
        try:
            ok = await asyncio.wait_for(target.async_notify(title=title, body=body), self.timeout_s)
        except TimeoutError:
            return False, f"no answer within {self.timeout_s:.0f}s"
        return (True, None) if ok else (False, f"{scheme(url)} sink refused or failed")


class Notifier:
    def __init__(
        self,
        settings: NotifySettings,
        db: AsyncDatabase[Doc],
        directory: Directory,
        rules: Rules,
        metrics: NotifyMetrics,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        sender: Sender | None = None,
    ) -> None:
        self.settings, self.db, self.directory, self.rules = settings, db, directory, rules
        self.metrics, self.clock = metrics, clock
        self.sender = sender or Sender(settings.send_timeout_s, settings.dev_mail_relay)
        self.topics = Topics(settings.topic_prefix)
        self.channels = ContactChannels(settings.email_url, settings.sms_url, settings.line_url)
        self.deliveries = db["deliveries"]
        self.retries = db["retries"]
        """The deliveries waiting for another attempt, and when: only these, so the retry
        pass reads a handful of documents, not every delivery ever made (scanning those
        every half second took a whole core of FerretDB at 15,000 deliveries)."""
        self.cases = db["cases"]
        self._digest_done: str | None = None
        """The local day whose digests this process has been through: not again that day."""
        self.consumer: AIOKafkaConsumer | None = None
        self.producer: AIOKafkaProducer | None = None
        self.gate = asyncio.Semaphore(settings.concurrency)
        self.ready = False
        self._tasks: list[asyncio.Task[None]] = []

    # --- life ----------------------------------------------------------------------------

    async def start(self) -> None:
        self.producer = AIOKafkaProducer(
            bootstrap_servers=self.settings.kafka_bootstrap, acks="all", enable_idempotence=True
        )
        await self.producer.start()
        await self._recover()
        self.consumer = AIOKafkaConsumer(
            bootstrap_servers=self.settings.kafka_bootstrap,
            group_id=self.settings.group(),
            isolation_level="read_committed",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=500,
            metadata_max_age_ms=FIND_NEW_TOPICS_MS,
        )
        await self.consumer.start()
        # Subscribed after start: a topic routing has not created yet is waited for, where
        # naming it to the constructor fails the start after 40 s.
        self.consumer.subscribe([self.topics.events])
        self._tasks = [
            asyncio.create_task(self._consume(), name="notify-consume"),
            asyncio.create_task(self._retry_loop(), name="notify-retry"),
            asyncio.create_task(self._digest_loop(), name="notify-digest"),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self.consumer is not None:
            await self.consumer.stop()
        if self.producer is not None:
            await self.producer.stop()

    async def _recover(self) -> None:
        """Deliveries left 'sending' by a process that died mid-send: never sent twice. And
        every delivery waiting for a retry is on the retry list (it may have died between
        the two writes, or the delivery be older than the list)."""
        unfinished = await self.deliveries.find({"state": {"$in": ["sending", "retry"]}}).to_list()
        for d in unfinished:
            if d["state"] == "sending":
                await self._dead(d, "interrupted while sending: not repeated, to avoid a duplicate")
            else:
                await self._schedule(d["_id"], d["next_at"])

    # --- events --------------------------------------------------------------------------

    async def _consume(self) -> None:
        assert self.consumer is not None
        await consume_forever(self.consumer, self.step, log)

    async def step(self, timeout_ms: int = 500) -> int:
        """One batch of events: plan, claim and first-attempt every delivery, then commit."""
        assert self.consumer is not None
        batch = await self.consumer.getmany(timeout_ms=timeout_ms, max_records=500)
        self.ready = True
        attempts: list[tuple[str, Coroutine[Any, Any, None]]] = []
        cases: dict[str, Case] = {}
        for records in batch.values():
            for record in records:
                try:
                    attempts += await self._plan(record, cases)
                except PoisonEvent as exc:
                    await self._poison(record, str(exc))
        await bulk(
            self.cases,
            [ReplaceOne({"_id": cid}, _case_doc(c), upsert=True) for cid, c in cases.items()],
        )
        # Different recipients at once; each recipient's messages in the order of events.
        by_address: dict[str, list[Coroutine[Any, Any, None]]] = {}
        for address, attempt in attempts:
            by_address.setdefault(address, []).append(attempt)
        await asyncio.gather(*(_in_order(queue) for queue in by_address.values()))
        if batch:
            await self.consumer.commit({tp: rs[-1].offset + 1 for tp, rs in batch.items()})
        return len(attempts)

    async def _plan(
        self, record: ConsumerRecord[bytes, bytes], cases: dict[str, Case]
    ) -> list[tuple[str, Coroutine[Any, Any, None]]]:
        try:
            event = json.loads(record.value)
            etype, subject = event["type"], str(event["subject"])
            str(event["id"])
            if not isinstance(event.get("data", {}), dict):
                raise TypeError("data is not an object")
        except (ValueError, KeyError, TypeError) as exc:
            raise PoisonEvent(f"unreadable event: {exc}") from exc
        case = cases.get(subject)
        if case is None:
            # A complaint's first event starts its case: nothing to look up (redelivered,
            # it and the events after it build the same case again).
            new = etype == "complaint.submitted"
            case = cases[subject] = Case(subject) if new else await self._case(subject)
        try:
            evolve_case(case, event)
        except KeyError as exc:
            raise PoisonEvent(f"{etype} without {exc}") from exc
        planned: list[tuple[str, Coroutine[Any, Any, None]]] = []
        for rule in self.rules.matching(etype):
            for recipient in recipients(rule, event, case, self.directory, self.channels):
                for n, url in enumerate(recipient.urls):
                    attempt = self._first_attempt(rule, event, case, recipient, url, n)
                    planned.append((url, attempt))
        return planned

    async def _case(self, complaint_id: str) -> Case:
        doc = await self.cases.find_one({"_id": complaint_id})
        if doc is None:
            return Case(complaint_id)
        doc.pop("_id")
        return Case(
            complaint_id, **{k: v for k, v in doc.items() if k in Case.__dataclass_fields__}
        )

    async def _poison(self, record: ConsumerRecord[bytes, bytes], reason: str) -> None:
        log.error(
            "poison record %s[%d]@%d: %s", record.topic, record.partition, record.offset, reason
        )
        self.metrics.poison.inc()
        await self._dlq(
            record.key or b"",
            {
                "reason": reason,
                "source": record.topic,
                "partition": record.partition,
                "offset": record.offset,
                "value": record.value.decode("utf-8", errors="replace"),
            },
        )

    # --- deliveries ----------------------------------------------------------------------

    def _values(self, event: dict[str, Any], case: Case, language: str) -> dict[str, Any]:
        data = event.get("data") or {}
        dept = self.directory.department(
            str(data.get("agency") or data.get("department") or case.department or "")
        )
        category = self.directory.category(case.category or "")
        due = data.get("acknowledge_by") or case.acknowledge_by or ""
        zone = ZoneInfo(self.rules.timezone)
        if due:
            due = datetime.fromisoformat(str(due)).astimezone(zone).strftime("%Y-%m-%d %H:%M")
        text = data.get("text") or data.get("note") or data.get("reason") or ""
        if event["type"] == "complaint.sla_breached":
            text = {
                "acknowledge": ("การรับเรื่อง", "acknowledge"),
                "resolve": ("การแก้ไข", "resolve"),
            }.get(str(data.get("stage")), ("", ""))[0 if language == "th" else 1]
        return {
            "code": case.tracking_code,
            "link": f"{self.settings.reporting_public_url}/v1/track/{case.tracking_code}",
            "department": (dept.name_th if language == "th" else dept.name_en)
            if dept
            else case.department or "",
            "category": (category.name_th if language == "th" else category.name_en)
            if category
            else "",
            "text": text,
            "level": data.get("level", ""),
            "to": data.get("to", ""),
            "due": due,
        }

    async def _first_attempt(
        self, rule: Rule, event: dict[str, Any], case: Case, who: Recipient, url: str, n: int
    ) -> None:
        channel = scheme(url)
        delivery_id = f"{event['id']}|{who.id}|{channel}" + (f"|{n}" if n else "")
        title, body = render(event["type"], who.language, self._values(event, case, who.language))
        record = {
            "_id": delivery_id,
            "state": "sending",
            "attempt": 1,
            "url": url,
            "title": title,
            "body": body,
            "complaint_id": case.complaint_id,
            "event_id": event["id"],
            "event_type": event["type"],
            "event_time": event.get("time"),
            "rule": rule.name,
            "recipient": who.id,
            "recipient_role": who.role,
            "language": who.language,
            "channel": channel,
            "created_at": self.clock(),
        }
        try:
            await self.deliveries.insert_one(record)
        except DuplicateKeyError:
            self.metrics.skipped.inc()
            return  # this event was handled for this recipient and channel before
        await self._attempt(record)

    async def _attempt(self, d: Doc) -> None:
        async with self.gate:
            ok, reason = await self.sender.send(d["url"], d["title"], d["body"])
        if ok:
            await self.deliveries.update_one(
                {"_id": d["_id"]}, {"$set": {"state": "sent", "sent_at": self.clock()}}
            )
            self.metrics.deliveries.labels(d["channel"], "sent").inc()
            if d.get("event_time"):
                lag = (self.clock() - datetime.fromisoformat(str(d["event_time"]))).total_seconds()
                self.metrics.latency.observe(max(lag, 0.0))
            await self._notice("notification.sent", d, None)
            return
        if d["attempt"] >= self.settings.max_attempts:
            await self._dead(d, reason or "failed")
            return
        delay = min(
            self.settings.backoff_base_s * 2 ** (d["attempt"] - 1), self.settings.backoff_max_s
        )
        delay *= random.uniform(0.5, 1.0)  # noqa: S311 - jitter, not security
        next_at = self.clock() + timedelta(seconds=delay)
        await self._schedule(d["_id"], next_at)  # first: a crash in between leaves it listed
        await self.deliveries.update_one(
            {"_id": d["_id"]}, {"$set": {"state": "retry", "reason": reason, "next_at": next_at}}
        )
        self.metrics.deliveries.labels(d["channel"], "failed").inc()
        await self._notice("notification.failed", d, reason)

    async def _retry_loop(self, period_s: float = 0.5) -> None:
        while True:
            await asyncio.sleep(period_s)
            try:
                await self.retry_due()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("retry pass failed")

    async def _schedule(self, delivery_id: str, next_at: datetime) -> None:
        await self.retries.replace_one({"_id": delivery_id}, {"next_at": next_at}, upsert=True)

    async def retry_due(self) -> int:
        now = self.clock()
        due: list[Doc] = []
        for entry in await self.retries.find({}).to_list():
            if entry["next_at"] > now:
                continue
            d = await self.deliveries.find_one({"_id": entry["_id"]})
            if d is not None and d["state"] == "retry":
                d["attempt"] += 1
                d["state"] = "sending"
                # 'sending' before the entry goes: a crash in between is seen at the
                # restart as interrupted, and dead-lettered rather than risked twice
                await self.deliveries.update_one(
                    {"_id": d["_id"]}, {"$set": {"state": "sending", "attempt": d["attempt"]}}
                )
                self.metrics.retries.labels(d["channel"]).inc()
                due.append(d)
            await self.retries.delete_one({"_id": entry["_id"]})
        await asyncio.gather(*[self._attempt(d) for d in due])
        return len(due)

    async def _dead(self, d: Doc, reason: str) -> None:
        await self.deliveries.update_one(
            {"_id": d["_id"]}, {"$set": {"state": "dead", "reason": reason}}
        )
        self.metrics.deliveries.labels(d["channel"], "dead_lettered").inc()
        await self._dlq(
            str(d.get("complaint_id", "")).encode(),
            {
                "reason": reason,
                "delivery": d["_id"],
                "event_id": d.get("event_id"),
                "recipient": d.get("recipient"),
                "channel": d.get("channel"),
                "attempts": d.get("attempt"),
            },
        )
        await self._notice("notification.dead_lettered", d, reason)

    async def _notice(self, kind: NoticeType, d: Doc, reason: str | None) -> None:
        if not d.get("complaint_id"):
            return  # digests are about a department, not a complaint
        assert self.producer is not None
        notice = Notice(
            type=kind,
            subject=d["complaint_id"],
            time=self.clock(),
            data=Delivery(
                event_id=d["event_id"],
                event_type=d["event_type"],
                rule=d["rule"],
                recipient=d["recipient"],
                recipient_role=d["recipient_role"],
                channel=d["channel"],
                language=d["language"],
                attempt=d["attempt"],
                reason=reason,
            ),
        )
        record = notice.to_record()
        await self.producer.send_and_wait(
            self.topics.notifications, record.value, key=record.key, headers=list(record.headers)
        )

    async def _dlq(self, key: bytes, body: dict[str, Any]) -> None:
        assert self.producer is not None
        body = {**body, "at": self.clock().isoformat()}
        await self.producer.send_and_wait(
            self.topics.dlq(self.topics.notifications),
            json.dumps(body, ensure_ascii=False).encode(),
            key=key,
        )

    # --- daily digest --------------------------------------------------------------------

    async def _digest_loop(self, period_s: float = 30.0) -> None:
        while True:
            try:
                await self.send_digests()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("digest pass failed")
            await asyncio.sleep(period_s)

    async def send_digests(self) -> int:
        """After the configured local time, once a day, each department's overdue items."""
        zone = ZoneInfo(self.rules.timezone)
        local = self.clock().astimezone(zone)
        hour, minute = (int(x) for x in self.rules.digest_at.split(":"))
        if (local.hour, local.minute) < (hour, minute):
            return 0
        day = local.date().isoformat()
        if day == self._digest_done:
            return 0  # the deliveries' ids would refuse a second digest; no need to look
        now = self.clock()
        overdue: dict[str, list[dict[str, str]]] = {}
        for doc in await self.cases.find({}).to_list():
            due = (
                doc.get("acknowledge_by")
                if doc.get("status") in ("routed", "triage", "reopened")
                else doc.get("resolve_by")
            )
            if (
                doc.get("status") in OPEN
                and doc.get("department")
                and due
                and datetime.fromisoformat(due) < now
            ):
                overdue.setdefault(doc["department"], []).append(
                    {
                        "code": doc.get("tracking_code", ""),
                        "category": doc.get("category") or "",
                        "due": due[:16],
                    }
                )
        sent = 0
        for dept_code, items in sorted(overdue.items()):
            dept = self.directory.department(dept_code)
            if dept is None:
                continue
            for admin in dept.active_admins():
                for url in admin.notify:
                    values = {
                        "department": dept.name_th if admin.language == "th" else dept.name_en,
                        "count": len(items),
                        "items": sorted(items, key=lambda i: i["due"]),
                    }
                    title, body = render("digest", admin.language, values)
                    record = {
                        "_id": f"digest:{dept_code}:{day}|{admin.id}|{scheme(url)}",
                        "state": "sending",
                        "attempt": 1,
                        "url": url,
                        "title": title,
                        "body": body,
                        "rule": "digest",
                        "recipient": admin.id,
                        "recipient_role": "dept_admin",
                        "language": admin.language,
                        "channel": scheme(url),
                        "created_at": now,
                    }
                    try:
                        await self.deliveries.insert_one(record)
                    except DuplicateKeyError:
                        continue
                    await self._attempt(record)
                    sent += 1
        self._digest_done = day
        return sent


async def _in_order(attempts: list[Coroutine[Any, Any, None]]) -> None:
    for attempt in attempts:
        await attempt


def _case_doc(case: Case) -> Doc:
    doc = asdict(case)
    doc.pop("complaint_id")
    return doc
