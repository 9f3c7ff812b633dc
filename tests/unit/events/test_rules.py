"""The lifecycle's rules, one test each, named as the rule."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from kandoo.events import commands as c
from kandoo.events import events as e
from kandoo.events.directory import Directory
from kandoo.events.testing import given
from kandoo.events.values import Actor, Classification, Location, ReporterContact, Role
from tests.unit.events.conftest import (
    CITIZEN,
    CLERK,
    CLOCK_TOWER,
    ENGINEERING_ADMIN,
    HISTORIES,
    SYSTEM,
    T0,
    TOKEN,
)

HOUR = timedelta(hours=1)


def ids(**more: Any) -> dict[str, Any]:
    return {"command_id": "cmd-1", "complaint_id": "c-1", **more}


def submit(
    category: str | None = None, location: Location = CLOCK_TOWER, text: str = "ไฟดับทั้งซอย"
) -> c.SubmitComplaint:
    return c.SubmitComplaint(
        **ids(actor=CITIZEN),
        tracking_code="HH-7K4P-2Q",
        description=text,
        language="th",
        location=location,
        category=category,
    )


def guess(category: str, confidence: float, method: str = "model") -> Classification:
    return Classification(
        category=category, confidence=confidence, model_version="m1", method=method
    )


# --- new reports -----------------------------------------------------------------------


def test_a_confident_report_is_routed_with_the_category_sla(directory: Directory) -> None:
    got = (
        given(directory, "c-1")
        .at(T0)
        .with_classification(guess("streetlight", 0.93))
        .when(submit())
        .then_types(e.ComplaintSubmitted, e.ComplaintClassified, e.ComplaintRouted)
    )
    routed = got[2]
    assert isinstance(routed, e.ComplaintRouted)
    assert routed.department == "engineering"
    assert routed.acknowledge_by == T0 + 24 * HOUR
    assert routed.resolve_by == T0 + 72 * HOUR


def test_low_confidence_reports_go_to_triage_at_the_clerk(directory: Directory) -> None:
    got = (
        given(directory, "c-1")
        .at(T0)
        .with_classification(guess("road", 0.41))
        .when(submit())
        .then_types(e.ComplaintSubmitted, e.ComplaintClassified, e.ComplaintRouted)
    )
    assert got[2] == e.ComplaintRouted(
        department="clerk",
        triage=True,
        reason="triage",
        acknowledge_by=T0 + 8 * HOUR,
        resolve_by=T0 + 168 * HOUR,
    )


def test_the_reporters_category_is_kept_unless_the_classifier_is_confident(
    directory: Directory,
) -> None:
    kept = (
        given(directory, "c-1")
        .at(T0)
        .with_classification(guess("drainage", 0.7))
        .when(submit(category="road"))
        .then_types(e.ComplaintSubmitted, e.ComplaintClassified, e.ComplaintRouted)
    )
    assert kept[1] == e.ComplaintClassified(
        classification=guess("drainage", 0.7), category="road", reason="reporter_choice"
    )
    overridden = (
        given(directory, "c-1")
        .at(T0)
        .with_classification(guess("noise", 0.97))
        .when(submit(category="road"))
        .then_types(e.ComplaintSubmitted, e.ComplaintClassified, e.ComplaintRouted)
    )
    classified = overridden[1]
    assert isinstance(classified, e.ComplaintClassified)
    assert (classified.category, classified.reason) == ("noise", "classifier")
    submitted = overridden[0]
    assert isinstance(submitted, e.ComplaintSubmitted)
    assert submitted.category_chosen == "road"  # both are recorded


def test_an_emergency_rule_overrides_the_reporter(directory: Directory) -> None:
    got = (
        given(directory, "c-1")
        .at(T0)
        .with_classification(guess("safety", 1.0, method="rule"))
        .when(submit(category="trees"))
        .then_types(e.ComplaintSubmitted, e.ComplaintClassified, e.ComplaintRouted)
    )
    routed = got[2]
    assert isinstance(routed, e.ComplaintRouted)
    assert routed.department == "disaster"
    assert routed.acknowledge_by == T0 + HOUR


def test_a_report_for_a_department_without_an_active_admin_escalates_to_the_clerk_at_once(
    directory: Directory,
) -> None:
    got = (
        given(directory, "c-1")
        .at(T0)
        .with_classification(guess("welfare", 0.95))
        .when(submit())
        .then_types(
            e.ComplaintSubmitted, e.ComplaintClassified, e.ComplaintRouted, e.ComplaintEscalated
        )
    )
    assert got[3] == e.ComplaintEscalated(
        level=2, to="clerk", reason="no_active_admin", department="social_welfare"
    )


def test_tap_water_reports_are_forwarded_to_the_waterworks(directory: Directory) -> None:
    got = (
        given(directory, "c-1")
        .at(T0)
        .with_classification(guess("water_supply", 0.95))
        .when(submit())
        .then_types(e.ComplaintSubmitted, e.ComplaintClassified, e.ComplaintForwarded)
    )
    forwarded = got[2]
    assert isinstance(forwarded, e.ComplaintForwarded)
    assert forwarded.agency == "pwa"


def test_a_pothole_on_the_national_highway_goes_to_the_department_of_highways(
    directory: Directory,
) -> None:
    on_phetkasem = Location(lat=12.5700, lon=99.9549)
    got = (
        given(directory, "c-1")
        .at(T0)
        .with_classification(guess("road", 0.95))
        .when(submit(location=on_phetkasem))
        .then_types(e.ComplaintSubmitted, e.ComplaintClassified, e.ComplaintForwarded)
    )
    assert got[2] == e.ComplaintForwarded(agency="doh", note="automatic: zone:phetkasem_highway")


def test_a_report_near_an_open_one_of_the_same_category_is_marked_duplicate(
    directory: Directory,
) -> None:
    got = (
        given(directory, "c-1")
        .at(T0)
        .with_classification(guess("road", 0.95))
        .with_duplicate_of("c-0", distance_m=22.5)
        .when(submit())
        .then_types(e.ComplaintSubmitted, e.ComplaintClassified, e.ComplaintMarkedDuplicate)
    )
    assert got[2] == e.ComplaintMarkedDuplicate(original_id="c-0", distance_m=22.5)


def test_a_pin_outside_the_municipality_is_refused(directory: Directory) -> None:
    cha_am = Location(lat=12.80, lon=99.97)
    refusal = (
        given(directory, "c-1")
        .at(T0)
        .when(submit(location=cha_am))
        .then_refused("outside_jurisdiction")
    )
    assert "หัวหิน" in refusal.message_th
    assert "Hua Hin" in refusal.message_en


def test_an_unknown_category_is_refused(directory: Directory) -> None:
    given(directory, "c-1").at(T0).when(submit(category="ufo")).then_refused("unknown_category")


def test_acting_on_a_complaint_that_does_not_exist_is_refused(directory: Directory) -> None:
    command = c.AcknowledgeComplaint(**ids(actor=ENGINEERING_ADMIN))
    given(directory, "c-1").at(T0).when(command).then_refused("not_found")


# --- who may act -----------------------------------------------------------------------


def test_acting_on_another_departments_complaint_is_refused(directory: Directory) -> None:
    other = Actor(id="ph-admin-1", role=Role.DEPT_ADMIN, department="public_health")
    refusal = (
        given(directory, "c-1", *HISTORIES["routed"])
        .at(T0)
        .when(c.AcknowledgeComplaint(**ids(actor=other)))
        .then_refused("wrong_department")
    )
    assert refusal.http_status == 403


def test_a_citizen_cannot_act_as_staff(directory: Directory) -> None:
    command = c.ResolveComplaint(**ids(actor=CITIZEN), note="ซ่อมเองแล้ว")
    given(directory, "c-1", *HISTORIES["routed"]).at(T0).when(command).then_refused("forbidden")


def test_a_supervisor_of_the_department_may_act_and_of_another_may_not(
    directory: Directory,
) -> None:
    own = Actor(id="eng-director", role=Role.SUPERVISOR, department="engineering")
    other = Actor(id="ph-director", role=Role.SUPERVISOR, department="public_health")
    history = given(directory, "c-1", *HISTORIES["routed"]).at(T0)
    history.when(c.AcknowledgeComplaint(**ids(actor=own))).then_types(e.ComplaintAcknowledged)
    history.when(c.AcknowledgeComplaint(**ids(actor=other))).then_refused("forbidden")


def test_the_clerk_may_act_on_any_departments_complaint(directory: Directory) -> None:
    command = c.AcknowledgeComplaint(**ids(actor=CLERK))
    given(directory, "c-1", *HISTORIES["routed"]).at(T0).when(command).then_types(
        e.ComplaintAcknowledged
    )


def test_resolving_needs_a_note(directory: Directory) -> None:
    command = c.ResolveComplaint(**ids(actor=ENGINEERING_ADMIN), note="   ")
    given(directory, "c-1", *HISTORIES["in_progress"]).at(T0).when(command).then_refused(
        "note_required"
    )


def test_rejecting_needs_a_reason(directory: Directory) -> None:
    command = c.RejectComplaint(**ids(actor=ENGINEERING_ADMIN))
    given(directory, "c-1", *HISTORIES["routed"]).at(T0).when(command).then_refused(
        "reason_required"
    )


def test_resolving_a_closed_complaint_is_refused(directory: Directory) -> None:
    command = c.ResolveComplaint(**ids(actor=ENGINEERING_ADMIN), note="อีกครั้ง")
    refusal = (
        given(directory, "c-1", *HISTORIES["closed"])
        .at(T0)
        .when(command)
        .then_refused("invalid_transition")
    )
    assert refusal.http_status == 409
    assert "closed" in refusal.message_en


# --- the reporter ----------------------------------------------------------------------


def reporter(token: str = TOKEN) -> dict[str, Any]:
    return ids(actor=CITIZEN, reporter_token=token)


def test_only_the_reporter_with_the_token_may_rate(directory: Directory) -> None:
    history = given(directory, "c-1", *HISTORIES["resolved"]).at(T0)
    history.when(c.RateComplaint(**reporter("wrong-token"), rating=4)).then_refused("not_reporter")
    history.when(c.RateComplaint(**ids(actor=ENGINEERING_ADMIN), rating=5)).then_refused(
        "not_reporter"
    )
    history.when(c.RateComplaint(**reporter(), rating=4)).then(
        e.ComplaintRated(rating=4, comment=None)
    )


def test_a_complaint_is_rated_once(directory: Directory) -> None:
    rated = (*HISTORIES["resolved"], e.ComplaintRated(rating=3))
    command = c.RateComplaint(**reporter(), rating=5)
    given(directory, "c-1", *rated).at(T0).when(command).then_refused("already_rated")


def test_the_reporter_may_reopen_within_14_days_of_resolution(directory: Directory) -> None:
    history = given(directory, "c-1", *HISTORIES["resolved"]).at(T0)
    command = c.ReopenComplaint(**reporter(), reason="น้ำยังขังอยู่")
    reopened = history.after(timedelta(days=13)).when(command).then_types(e.ComplaintReopened)[0]
    assert isinstance(reopened, e.ComplaintReopened)
    assert reopened.acknowledge_by == T0 + timedelta(days=13) + 24 * HOUR
    refusal = history.after(timedelta(days=15)).when(command).then_refused("reopen_window_passed")
    assert "14" in refusal.message_th


def test_a_reporter_note_is_always_public(directory: Directory) -> None:
    command = c.AddNote(**reporter(), text="เพิ่มรูปมุมอื่น", public=False)
    given(directory, "c-1", *HISTORIES["routed"]).at(T0).when(command).then(
        e.NoteAdded(text="เพิ่มรูปมุมอื่น", public=True)
    )


def test_reporter_data_is_erased_once(directory: Directory) -> None:
    erased = (*HISTORIES["routed"], e.ReporterDataErased(reason="PDPA"))
    command = c.EraseReporterData(**ids(actor=CLERK), reason="PDPA")
    given(directory, "c-1", *erased).at(T0).when(command).then_refused("already_erased")


# --- "me too" --------------------------------------------------------------------------

SUPPORTER_KEY = "a" * 64


def support(key: str = SUPPORTER_KEY, token: str | None = None) -> c.SupportComplaint:
    contact = ReporterContact(email="neighbour@example.com")
    return c.SupportComplaint(
        **ids(actor=CITIZEN, reporter_token=token), supporter_key=key, supporter=contact
    )


def test_a_citizen_supports_an_open_report_once(directory: Directory) -> None:
    history = given(directory, "c-1", *HISTORIES["routed"]).at(T0)
    expected = e.ComplaintSupported(
        supporter_key=SUPPORTER_KEY, supporter=ReporterContact(email="neighbour@example.com")
    )
    history.when(support()).then(expected)
    supported = given(directory, "c-1", *HISTORIES["routed"], expected).at(T0)
    assert supported.state().supporters == {SUPPORTER_KEY}
    supported.when(support()).then_refused("already_supported")
    supported.when(support("b" * 64)).then_types(e.ComplaintSupported)


def test_closed_reports_and_the_reporters_own_cannot_be_supported(directory: Directory) -> None:
    for closed in ("resolved", "closed", "rejected", "duplicate", "forwarded"):
        given(directory, "c-1", *HISTORIES[closed]).at(T0).when(support()).then_refused("not_open")
    own = given(directory, "c-1", *HISTORIES["routed"]).at(T0).when(support(token=TOKEN))
    own.then_refused("own_report")


# --- staff corrections -----------------------------------------------------------------


def test_recategorizing_to_another_departments_category_reroutes(directory: Directory) -> None:
    command = c.RecategorizeComplaint(**ids(actor=ENGINEERING_ADMIN), category="waste")
    got = (
        given(directory, "c-1", *HISTORIES["acknowledged"])
        .at(T0)
        .when(command)
        .then_types(e.ComplaintRecategorized, e.ComplaintRerouted)
    )
    rerouted = got[1]
    assert isinstance(rerouted, e.ComplaintRerouted)
    assert (rerouted.previous_department, rerouted.department) == ("engineering", "public_health")
    assert rerouted.acknowledge_by == T0 + 12 * HOUR


def test_rerouting_to_a_department_without_an_admin_escalates(directory: Directory) -> None:
    command = c.RerouteComplaint(
        **ids(actor=CLERK), department="social_welfare", reason="ผู้สูงอายุอยู่ลำพัง"
    )
    given(directory, "c-1", *HISTORIES["routed"]).at(T0).when(command).then_types(
        e.ComplaintRerouted, e.ComplaintEscalated
    )


def test_staff_corrections_refuse_what_makes_no_sense(directory: Directory) -> None:
    history = given(directory, "c-1", *HISTORIES["routed"]).at(T0)
    admin = ids(actor=ENGINEERING_ADMIN)
    history.when(c.RerouteComplaint(**admin, department="nowhere", reason="x")).then_refused(
        "unknown_department"
    )
    history.when(c.RerouteComplaint(**admin, department="engineering", reason="x")).then_refused(
        "same_department"
    )
    history.when(c.RecategorizeComplaint(**admin, category="road")).then_refused("same_category")
    history.when(c.ForwardComplaint(**admin, agency="finance")).then_refused("not_an_agency")
    history.when(c.MarkDuplicate(**admin, original_id="c-1")).then_refused("duplicate_of_self")
    history.when(c.CorrectLocation(**admin, location=Location(lat=13.0, lon=100.0))).then_refused(
        "outside_jurisdiction"
    )


# --- deadlines -------------------------------------------------------------------------


def check() -> c.CheckDeadlines:
    return c.CheckDeadlines(**ids(actor=SYSTEM))


def test_a_missed_acknowledgement_breaches_once_and_escalates_to_the_supervisor(
    directory: Directory,
) -> None:
    late = given(directory, "c-1", *HISTORIES["routed"]).at(T0).after(25 * HOUR)
    breach, escalation = late.when(check()).then_types(e.SlaBreached, e.ComplaintEscalated)
    assert breach == e.SlaBreached(
        stage="acknowledge", department="engineering", due=T0 + 24 * HOUR
    )
    assert escalation == e.ComplaintEscalated(
        level=1,
        to="supervisor:engineering",
        reason="sla_acknowledge",
        department="engineering",
        next_escalation_at=T0 + 25 * HOUR + 24 * HOUR,
    )
    once = (*HISTORIES["routed"], breach, escalation)
    given(directory, "c-1", *once).at(T0).after(26 * HOUR).when(check()).then()


def test_silence_climbs_the_chain_to_the_clerk_then_the_mayors_office(
    directory: Directory,
) -> None:
    history = list(HISTORIES["routed"])
    targets = []
    for hours in (25, 50, 75, 100):
        events = given(directory, "c-1", *history).at(T0).after(hours * HOUR).when(check()).result()
        assert isinstance(events, list)
        history += events
        targets += [x.to for x in events if isinstance(x, e.ComplaintEscalated)]
    assert targets == ["supervisor:engineering", "clerk", "mayor_office"]


def test_a_missed_resolution_breaches_the_resolve_stage(directory: Directory) -> None:
    late = given(directory, "c-1", *HISTORIES["in_progress"]).at(T0).after(169 * HOUR)
    breach = late.when(check()).then_types(e.SlaBreached, e.ComplaintEscalated)[0]
    assert isinstance(breach, e.SlaBreached)
    assert breach.stage == "resolve"


def test_a_resolved_complaint_silent_for_7_days_closes(directory: Directory) -> None:
    history = given(directory, "c-1", *HISTORIES["resolved"]).at(T0)
    history.after(timedelta(days=6)).when(check()).then()
    history.after(timedelta(days=7)).when(check()).then(e.ComplaintClosed(reason="auto"))


def test_only_the_system_checks_deadlines(directory: Directory) -> None:
    command = c.CheckDeadlines(**ids(actor=CLERK))
    given(directory, "c-1", *HISTORIES["routed"]).at(T0).when(command).then_refused("forbidden")
