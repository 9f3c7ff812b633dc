"""Every read model after a scripted history; redelivery changes nothing; rebuild equals
incremental; the past can be rebuilt as of a moment."""

from __future__ import annotations

from kandoo.events.geo import geohash
from kandoo.reporting.adapters.applier import Applier
from kandoo.reporting.adapters.log_reader import LogReader, Window, parse_all
from kandoo.reporting.adapters.replay import as_of, rebuild
from kandoo.reporting.adapters.store import MODELS, ReadModels
from kandoo.reporting.domain.documents import members, unpack
from kandoo.reporting.domain.views import hotspot_counts
from tests.conftest import Servers
from tests.integration.reporting.conftest import Scripted, caught_up, snapshot
from tests.integration.routing.conftest import submit


async def test_the_complaint_documents_hold_state_and_timeline(scripted: Scripted) -> None:
    m, ids = scripted.models, scripted.history.ids
    rerouted = await m.complaint(ids["rerouted"])
    assert rerouted is not None
    assert rerouted["status"] == "resolved"
    assert rerouted["department"] == "public_health"
    assert rerouted["category"] == "waste"
    assert rerouted["rating"] == 4
    types = [e["type"] for e in rerouted["timeline"]]
    assert types.count("complaint.reopened") == 1
    assert types.count("complaint.resolved") == 2
    assert [e["sequence"] for e in rerouted["timeline"]] == list(range(1, rerouted["version"] + 1))
    assert rerouted["reporter"]["phone"] == "0899999999"

    duplicate = await m.complaint(ids["duplicate"])
    assert duplicate is not None
    assert duplicate["status"] == "duplicate"
    assert duplicate["duplicate_of"] == ids["light"]
    followers = await m["followers"].find_one({"_id": ids["light"]})
    assert followers is not None
    assert followers["count"] == 1
    assert followers["duplicates"] == [ids["duplicate"]]

    welfare = await m.complaint(ids["welfare"])
    assert welfare is not None
    escalations = [e for e in welfare["timeline"] if e["type"] == "complaint.escalated"]
    assert (escalations[0]["to"], escalations[0]["reason"]) == ("clerk", "no_active_admin")
    assert welfare["escalated_to"] == escalations[-1]["to"]  # still silent a day later

    breached = await m.complaint(ids["breached"])
    assert breached is not None
    assert breached["breached"] == ["acknowledge"]
    assert breached["escalation_level"] == 1


async def test_queues_hold_open_items_by_due_time(scripted: Scripted) -> None:
    m, ids = scripted.models, scripted.history.ids
    buckets = await m["queues"].find({}).to_list()
    by_id = {
        cid: {"department": b["_id"].split("|")[0], **unpack(line)}
        for b in buckets
        for cid, line in members(b)
    }
    assert ids["rerouted"] not in by_id  # resolved: off the queue
    assert ids["duplicate"] not in by_id  # follows the original
    assert by_id[ids["light"]]["department"] == "engineering"
    assert by_id[ids["breached"]]["due_stage"] == "acknowledge"
    assert by_id[ids["breached"]]["breached"] == ["acknowledge"]
    assert by_id[ids["welfare"]]["department"] == "social_welfare"


async def test_daily_statistics_count_each_fact_once(scripted: Scripted) -> None:
    docs = await scripted.models["stats"].find({}).to_list()
    # a department's day documents: counts per category
    days = [d for d in docs if d["department"] != "*" and len(d["_id"].split("|")[1]) == 10]
    stats = [
        {"department": d["department"], "category": category, **counts}
        for d in days
        for category, counts in d["c"].items()
    ]
    total = {k: sum(int(s.get(k, 0)) for s in stats) for k in ("submitted", "resolved", "breached")}
    # light, welfare, rerouted, pothole were routed (the duplicate never was); a day later
    # the three still unacknowledged had missed their acknowledge deadline
    assert total == {"submitted": 4, "resolved": 2, "breached": 3}
    ph = [s for s in stats if s["department"] == "public_health"]
    assert sum(int(s.get("acknowledged", 0)) for s in ph) == 2
    assert sum(sum(s.get("ttr", {}).values()) for s in ph) == 2
    breached = [s for s in stats if s.get("breached")]
    assert sorted((s["department"], s["category"]) for s in breached) == [
        ("engineering", "road"),
        ("engineering", "streetlight"),
        ("social_welfare", "welfare"),
    ]


async def test_hotspots_count_every_complaint_in_its_cell(scripted: Scripted) -> None:
    areas = await scripted.models["hotspots"].find({}).to_list()
    counts = [(c, cat, st, n) for d in areas for c, cat, st, n in hotspot_counts(d) if n]
    assert sum(n for *_, n in counts) == 4  # the welfare report is on no public map
    assert not any(cat == "welfare" for _, cat, _, _ in counts)
    light = {(c, st) for c, cat, st, _ in counts if cat == "streetlight"}
    assert light == {
        (geohash(12.56800, 99.95770), "routed"),
        (geohash(12.56815, 99.95780), "duplicate"),
    }


async def test_department_health_counts_open_and_unacknowledged(scripted: Scripted) -> None:
    departments = {d["_id"]: d for d in await scripted.models["departments"].find({}).to_list()}
    assert departments["engineering"]["open"] == 2  # the light and the pothole
    assert departments["engineering"]["unacknowledged"] == 2
    assert departments["public_health"]["open"] == 0
    assert departments["public_health"]["resolved"] == 2
    assert departments["engineering"]["breached"] == 2


async def test_delivering_the_same_events_again_changes_nothing(
    scripted: Scripted, servers: Servers
) -> None:
    before = await snapshot(scripted.models)
    r = scripted.reporting
    settings = r.settings
    fresh = Applier(ReadModels(r.db, scripted.models.generation), r.directory)
    async with LogReader(settings, [scripted.processor.topics.events]) as reader:
        window = Window(await reader.beginnings(), await reader.ends())
        async for batch in reader.read(window, max_records=7):  # other batch boundaries
            assert await fresh.apply(parse_all(scripted.processor.topics, batch)) == 0
    assert await snapshot(scripted.models) == before


async def test_compaction_leaves_the_documents_a_fold_in_one_go_writes(
    scripted: Scripted, servers: Servers
) -> None:
    """Folded one record at a time, counters go up and down across batches and zeros are
    left behind; compaction removes them, and the result is the same documents."""
    r = scripted.reporting
    topics = scripted.processor.topics
    assert r.projector is not None
    await r.projector.applier.compact()
    expected = await snapshot(scripted.models)
    slow = Applier(ReadModels(r.db, 70), r.directory)
    async with LogReader(r.settings, [topics.events, topics.notifications]) as reader:
        window = Window(await reader.beginnings(), await reader.ends())
        async for batch in reader.read(window, max_records=1):
            await slow.apply(parse_all(topics, batch))
    assert await snapshot(slow.models) != expected  # zeros left behind
    assert await slow.compact() > 0
    assert await snapshot(slow.models) == expected
    assert await slow.compact() == 0  # nothing left to remove
    for model in MODELS:
        await r.db.drop_collection(f"{model}_g70")


async def test_a_rebuild_equals_the_incremental_models_and_readers_switch(
    scripted: Scripted, servers: Servers
) -> None:
    r = scripted.reporting
    assert r.projector is not None
    await r.projector.applier.compact()  # what the live projector does once a minute
    incremental = await snapshot(await r.models())
    result = await rebuild(r.settings, r.db, r.directory, switch_wait_s=15)
    assert result.events == scripted.history.events
    rebuilt = ReadModels(r.db, result.generation)
    assert await snapshot(rebuilt) == incremental
    r._generation = (0.0, 0)  # readers look again now rather than within a second
    assert (await r.models()).generation == result.generation
    assert await r.db["complaints_g1"].count_documents({}) == 0  # the old set is gone
    # the live projector followed: a new event lands in the new generation
    await scripted.client.call(submit("ทางเท้าแตก", category="road", lat=12.5500, lon=99.9560))
    await caught_up(r, scripted.history.events + 3)
    assert await rebuilt["complaints"].count_documents({}) == 6


async def test_as_of_builds_the_models_as_they_stood_before_the_breach(
    scripted: Scripted, servers: Servers
) -> None:
    r = scripted.reporting
    moment = scripted.history.before_breach
    assert moment is not None
    target = r.client[f"{r.settings.mongodb_db}_asof"]
    events = await as_of(r.settings, target, r.directory, moment)
    assert 0 < events < scripted.history.events
    past = ReadModels(target, 1)
    pothole = await past.complaint(scripted.history.ids["breached"])
    assert pothole is not None
    assert pothole.get("breached") == []
    assert await past["stats"].count_documents({"breached": {"$gt": 0}}) == 0
    await r.client.drop_database(target.name)
