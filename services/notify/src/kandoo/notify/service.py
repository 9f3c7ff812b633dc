"""Notify's use cases: plan the deliveries an event calls for, run each delivery through
its states exactly once, and send the daily digest.

For every event the rules name recipients; each (event id, recipient, channel) is a
delivery whose record (unique `_id`) is written *before* the message goes out and
completed after. A redelivered event finds the record and sends nothing; a record found
still `sending` after a restart means the process died mid-send: it is not sent again (a
duplicate is worse than a gap here) but dead-lettered for an operator to check. Failures
are retried with exponential back-off and jitter by a loop of their own, so a dead sink
never holds up other deliveries; after `max_attempts` the delivery goes to
`notifications.dlq` with its reason. Every attempt's outcome is a notice on
`notifications.events`, which reporting adds to the complaint's timeline.

Several instances share the work: the first attempt goes to the instance whose insert
of the record wins, each retry to the one whose `retry -> sending` update wins; each
delivery names its `owner`, so a restarted instance recovers only its own, and another's
once that one has stopped beating.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from kandoo.events.directory import Directory
from kandoo.notify.adapters.line_push import SCHEME as LINE_SCHEME
from kandoo.notify.adapters.publisher import Publisher
from kandoo.notify.adapters.sender import Sender
from kandoo.notify.adapters.store import DeliveryStore
from kandoo.notify.domain.case import Case, evolve_case
from kandoo.notify.domain.delivery import Doc, delivery_id, new_delivery, next_attempt_at
from kandoo.notify.domain.digest import digest_day, overdue_by_department
from kandoo.notify.domain.messages import render
from kandoo.notify.domain.rules import ContactChannels, Rules, person, recipients
from kandoo.notify.domain.wording import message_values
from kandoo.notify.metrics import NotifyMetrics
from kandoo.notify.settings import NotifySettings
from kandoo.runtime.observe import correlation
from kandoo.runtime.personal import KeyStore

Clock = Callable[[], datetime]
Attempt = Coroutine[Any, Any, None]
log = logging.getLogger("kandoo.notify")
SAFE_TO_REPEAT = frozenset({LINE_SCHEME})
"""Channels whose platform drops a repeated delivery itself (LINE's X-Line-Retry-Key)."""


HEARTBEAT_DEAD = timedelta(seconds=30)
"""An instance silent this long is dead: what it was sending is recovered by others."""


def forgotten(d: Doc) -> dict[str, Any]:
    """A finished delivery's address (a reporter's e-mail, phone or LINE id) and message
    are personal data and needed no more: only the channel is kept."""
    return {"url": f"{d['channel']}://", "title": None, "body": None}


class PoisonEvent(ValueError):
    """A record that is not a complaint event notify can read."""


class Deliveries:
    """The delivery state machine: sending -> sent | retry -> sending ... | dead."""

    def __init__(
        self,
        settings: NotifySettings,
        store: DeliveryStore,
        publisher: Publisher,
        sender: Sender,
        metrics: NotifyMetrics,
        clock: Clock,
    ) -> None:
        self.settings, self.store, self.publisher = settings, store, publisher
        self.sender, self.metrics, self.clock = sender, metrics, clock
        self.gate = asyncio.Semaphore(settings.concurrency)

    async def recover(self) -> None:
        """Deliveries left `sending` by a process that died mid-send: never sent twice. And
        every delivery waiting for a retry is on the retry list (it may have died between
        the two writes, or the delivery be older than the list)."""
        await self.heartbeat()
        me = self.settings.instance_id
        alive = await self.store.instances_alive(self.clock() - HEARTBEAT_DEAD)
        for d in await self.store.unfinished():
            owner = d.get("owner")
            if d["state"] == "sending" and owner not in (None, me) and owner in alive:
                continue  # another instance, alive, is sending it right now
            if d["state"] == "sending" and d.get("channel") in SAFE_TO_REPEAT:
                # LINE dedupes by the delivery's retry key: sending again cannot show it twice.
                await self.store.schedule(d["_id"], self.clock())
            elif d["state"] == "sending":
                await self.dead(d, "interrupted while sending: not repeated, to avoid a duplicate")
            else:
                await self.store.schedule(d["_id"], d["next_at"])

    async def heartbeat(self) -> None:
        """This instance is alive (every retry pass): its deliveries are its own."""
        await self.store.beat(self.settings.instance_id, self.clock())

    async def first(self, record: Doc) -> bool:
        """Claim a new delivery and make its first attempt; False if it existed already."""
        record["owner"] = self.settings.instance_id
        if not await self.store.claim(record):
            self.metrics.skipped.inc()
            return False
        await self.attempt(record)
        return True

    async def attempt(self, d: Doc) -> None:
        async with self.gate:
            try:
                ok, reason = await self.sender.send(d["url"], d["title"], d["body"], d["_id"])
            except Exception as exc:  # any sender's failure is a failed attempt, retried
                log.warning("sender raised for %s", d["_id"], exc_info=True)
                ok, reason = False, f"{type(exc).__name__}: {exc}"[:500]
        if ok:
            await self._sent(d)
        elif d["attempt"] >= self.settings.max_attempts:
            await self.dead(d, reason or "failed")
        else:
            await self._failed(d, reason)

    async def _sent(self, d: Doc) -> None:
        await self.store.update(d["_id"], state="sent", sent_at=self.clock(), **forgotten(d))
        self.metrics.deliveries.labels(d["channel"], "sent").inc()
        if d.get("event_time"):
            lag = (self.clock() - datetime.fromisoformat(str(d["event_time"]))).total_seconds()
            self.metrics.latency.observe(max(lag, 0.0))
        await self.publisher.notice("notification.sent", d, None)

    async def _failed(self, d: Doc, reason: str | None) -> None:
        s = self.settings
        next_at = next_attempt_at(d["attempt"], self.clock(), s.backoff_base_s, s.backoff_max_s)
        await self.store.schedule(d["_id"], next_at)  # first: a crash in between leaves it listed
        await self.store.update(d["_id"], state="retry", reason=reason, next_at=next_at)
        self.metrics.deliveries.labels(d["channel"], "failed").inc()
        await self.publisher.notice("notification.failed", d, reason)

    async def retry_due(self) -> int:
        """Attempt again every listed delivery whose time has come."""
        now = self.clock()
        await self.heartbeat()
        due: list[Doc] = []
        for entry in await self.store.scheduled():
            if entry["next_at"] > now:
                continue
            d = await self.store.get(entry["_id"])
            # 'sending' before the entry goes: a crash in between is seen at the restart
            # as interrupted, and dead-lettered rather than risked twice; and only one
            # instance wins the move, so two never send the same delivery
            if (
                d is not None
                and d["state"] == "retry"
                and await self.store.take_for_retry(d, self.settings.instance_id)
            ):
                d["attempt"] += 1
                d["state"] = "sending"
                self.metrics.retries.labels(d["channel"]).inc()
                due.append(d)
            await self.store.unschedule(entry["_id"])
        await asyncio.gather(*[self.attempt(d) for d in due])
        return len(due)

    async def forget_complaint(self, complaint_id: str) -> None:
        """The complaint's reporter asked to be forgotten: deliveries to them still waiting
        for a retry are not made, and their addresses and messages go now."""
        for entry in await self.store.scheduled():
            d = await self.store.get(entry["_id"])
            if d is None or d.get("complaint_id") != complaint_id:
                continue
            if d.get("recipient_role") == "reporter" and d["state"] == "retry":
                await self.store.update(d["_id"], state="erased", **forgotten(d))
                await self.store.unschedule(d["_id"])

    async def dead(self, d: Doc, reason: str) -> None:
        await self.store.update(d["_id"], state="dead", reason=reason, **forgotten(d))
        self.metrics.deliveries.labels(d["channel"], "dead_lettered").inc()
        await self.publisher.dead_letter(
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
        await self.publisher.notice("notification.dead_lettered", d, reason)


class EventPlanner:
    """Who must hear of each event of a batch, and the first attempt of each delivery."""

    def __init__(
        self,
        settings: NotifySettings,
        store: DeliveryStore,
        deliveries: Deliveries,
        directory: Directory,
        rules: Rules,
        clock: Clock,
        keys: KeyStore,
    ) -> None:
        self.store = store
        self.deliveries = deliveries
        self.directory = directory
        self.rules = rules
        self.clock = clock
        self.keys = keys
        self.channels = ContactChannels(settings.email_url, settings.sms_url, settings.line_url)
        self.track_url = f"{settings.public_url}/t"

    async def plan(
        self, event: Mapping[str, Any], cases: dict[str, Case]
    ) -> list[tuple[str, Attempt]]:
        """Fold `event` into its case (in `cases`) and the first attempts it calls for, each
        with its address; PoisonEvent if the event cannot be read."""
        etype, subject = str(event["type"]), str(event["subject"])
        correlation.set(event.get("correlationid") or event.get("id"))  # for the logs
        case = cases.get(subject)
        if case is None:
            # A complaint's first event starts its case: nothing to look up (redelivered,
            # it and the events after it build the same case again).
            new = etype == "complaint.submitted"
            case = cases[subject] = Case(subject) if new else await self.store.case(subject)
        try:
            evolve_case(case, event)
        except KeyError as exc:
            raise PoisonEvent(f"{etype} without {exc}") from exc
        if etype == "complaint.reporter_data_erased":
            await self.deliveries.forget_complaint(subject)
        planned: list[tuple[str, Attempt]] = []
        rules = self.rules.matching(etype)
        if any(rule.to == "reporter" for rule in rules):
            case = await self._opened(case)  # only for this event: the case keeps it sealed
        for rule in rules:
            for who in recipients(rule, event, case, self.directory, self.channels):
                values = message_values(event, case, who.language, self.directory, self.track_url)
                title, body = render(etype, who.language, values)
                for n, url in enumerate(who.urls):
                    record = new_delivery(
                        delivery_id(str(event["id"]), who.id, url, n),
                        url=url,
                        title=title,
                        body=body,
                        rule=rule.name,
                        who=who,
                        now=self.clock(),
                        event=dict(event),
                        complaint_id=case.complaint_id,
                    )
                    planned.append((url, self._first(record)))
        return planned

    async def _opened(self, case: Case) -> Case:
        """The case with its reporter's and supporters' contacts readable (from the log
        they come sealed); erased ones read as erased."""
        subject = case.complaint_id
        return replace(
            case,
            contact=await self.keys.open(subject, case.contact),
            supporters=[await self.keys.open(subject, s) for s in case.supporters],
        )

    async def _first(self, record: Doc) -> None:
        await self.deliveries.first(record)


async def attempt_all(planned: list[tuple[str, Attempt]]) -> None:
    """Different recipients at once; each recipient's messages in the order of events."""
    by_address: dict[str, list[Attempt]] = {}
    for address, attempt in planned:
        by_address.setdefault(address, []).append(attempt)
    await asyncio.gather(*(_in_order(queue) for queue in by_address.values()))


async def _in_order(attempts: list[Attempt]) -> None:
    for attempt in attempts:
        await attempt


class Digests:
    """After the configured local time, once a day, each department's overdue items."""

    def __init__(
        self,
        store: DeliveryStore,
        deliveries: Deliveries,
        directory: Directory,
        rules: Rules,
        clock: Clock,
    ) -> None:
        self.store = store
        self.deliveries = deliveries
        self.directory = directory
        self.rules = rules
        self.clock = clock
        self._done: str | None = None
        """The local day whose digests this process has been through: not again that day."""

    async def send(self) -> int:
        now = self.clock()
        day = digest_day(now.astimezone(self.directory.municipality.zone), self.rules.digest_at)
        if day is None or day == self._done:
            return 0  # the deliveries' ids would refuse a second digest; no need to look
        sent = 0
        overdue = overdue_by_department(await self.store.all_cases(), now)
        for code, items in sorted(overdue.items()):
            dept = self.directory.department(code)
            if dept is None:
                continue
            for admin in (person(a, "dept_admin") for a in dept.active_admins()):
                values = {
                    "department": dept.name_th if admin.language == "th" else dept.name_en,
                    "count": len(items),
                    "items": items,
                }
                title, body = render("digest", admin.language, values)
                for url in admin.urls:
                    _id = delivery_id(f"digest:{code}:{day}", admin.id, url)
                    record = new_delivery(
                        _id, url=url, title=title, body=body, rule="digest", who=admin, now=now
                    )
                    sent += await self.deliveries.first(record)
        self._done = day
        return sent
