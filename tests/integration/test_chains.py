"""多窗联办 chains (issue 22 item 3) on the real databases: one number through every step,
queued at each step's windows in the order the number was taken, each step timed against
its own service's limit and counted as a visit of its service, the chain's own figures in
the report; 补正 ends the chain; a bad chain is refused by the layout and the console.

The chain "lb" of the test hall: hj (户籍办理, windows 1–3) → ss (税务申报, windows 3–4) →
sfz (身份证办理, windows 1, 2, 4)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from hall.domain.access import Actor
from hall.services.config import structure
from hall.services.config.layout.seed import load_layout, validate_layout
from hall.services.config.layout.spec import ServiceSpec
from hall.services.counters import terminal
from hall.services.queue import calling, queries, tickets, visits
from hall.services.supervision import reports, watch, watch_rules
from hall.store.models import Ticket
from tests.conftest import DATA, refused
from tests.integration.conftest import kiosk, signed_in_at

CHAIN = ["hj", "ss", "sfz"]


def chain_spec(**changes) -> ServiceSpec:
    return ServiceSpec(code="lb", department="gaj", name="户籍迁入联办", prefix="L",
                       kind="instant", expected_visit_minutes=10, time_limit_minutes=30,
                       chain=CHAIN).model_copy(update=changes)


@pytest.fixture
def chain(ctx, hall, admin) -> dict:
    """The test hall with the chain service "lb", made in the console."""
    structure.create_service(ctx, actor=admin, spec=chain_spec())
    return hall


def serve(ctx, hall, number: int, login: str) -> tuple[Actor, dict]:
    """Sign ``login`` in at window ``number`` (leaving any other), call the next ticket
    there and start it."""
    staff = signed_in_at(ctx, hall, number, login)
    called = calling.call_next(ctx, counter_id=hall["counters"][number], actor=staff).value
    calling.start(ctx, counter_id=hall["counters"][number], actor=staff)
    return staff, called


def finish(ctx, hall, number: int, staff: Actor, outcome: str = "done") -> dict:
    return visits.finish(ctx, counter_id=hall["counters"][number], actor=staff,
                         outcome=outcome).value


def steps_of(ctx, number: str) -> list[tuple]:
    t = Ticket.__table__
    with ctx.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(
            select(t.c.step, t.c.service_id, t.c.counter_id, t.c.state, t.c.outcome,
                   t.c.started_at, t.c.finished_at)
            .where(t.c.number == number).order_by(t.c.step))]


def test_chain_keeps_the_number_through_steps(ctx, chain, clock):
    hall, svc = chain, chain["services"]
    taken = tickets.issue(ctx, hall_id=hall["id"], service="lb", actor=kiosk(hall)).value
    assert taken["number"] == "L001" and taken["service"]["code"] == "hj"
    assert (taken["chain"]["step"], taken["chain"]["of"]) == (1, 3)
    minutes = {1: 6, 3: 13, 2: 4}  # each step's visit length at its window
    for step, (window, login, code) in enumerate(
            [(1, "li", "hj"), (3, "wang", "ss"), (2, "li", "sfz")], start=1):
        # the phone page (step 1's token) follows the ticket to the step it is at
        page = queries.ticket_by_token(ctx, taken["token"])
        assert (page["number"], page["state"], page["service"]["code"]) == ("L001", "waiting",
                                                                           code)
        assert (page["chain"]["step"], page["chain"]["of"]) == (step, 3)
        lines = {s["code"]: s["waiting"] for s in queries.queues(ctx, hall["id"])["services"]}
        assert lines.pop("lb") == lines["hj"]  # the kiosk shows the line a new number joins
        assert lines[code] == 1 and sum(lines.values()) == 1  # in one line: this step's
        clock.advance(minutes=2)
        staff, called = serve(ctx, hall, window, login)
        assert called["number"] == "L001" and called["service_id"] == svc[code]
        clock.advance(minutes=minutes[window])
        if code == "ss":  # each step is timed against its own service's limit (ss: 12/15)
            alerts = watch.scan(ctx, hall["id"], (watch_rules.VISIT_LIMIT,)).events
            assert [(e.payload["alert"]["kind"], e.payload["alert"]["payload"]["service"])
                    for e in alerts if e.type == "alert"] == [("visit_warning", "税务申报")]
        done = finish(ctx, hall, window, staff, "accepted" if step == 3 else "done")
        if step < 3:
            assert done["next_step"]["number"] == "L001"
            assert (done["next_step"]["step"], done["next_step"]["of"]) == (step + 1, 3)
        else:
            assert done["next_step"] is None and done["case"] is not None

    rows = steps_of(ctx, "L001")
    assert [(r[0], r[1], r[2], r[3], r[4]) for r in rows] == [
        (1, svc["hj"], hall["counters"][1], "done", "done"),
        (2, svc["ss"], hall["counters"][3], "done", "done"),
        (3, svc["sfz"], hall["counters"][2], "done", "accepted")]
    assert [(r[6] - r[5]).total_seconds() for r in rows] == [360, 780, 240]
    page = queries.ticket_by_token(ctx, taken["token"])
    assert page["state"] == "done" and page["chain"]["step"] == 3 and page["case"]

    report = reports.report(ctx, period="day", on="2026-11-23", group="service")
    by_code = {r["key"]: r for r in report["rows"]}
    figures = [(by_code[svc[c]]["issued"], by_code[svc[c]]["served"],
                by_code[svc[c]]["service_mean_s"]) for c in CHAIN]
    # one number taken (at its first step), one served visit per step, each timed alone
    assert figures == [(1, 1, 360.0), (0, 1, 780.0), (0, 1, 240.0)]
    assert (report["total"]["issued"], report["total"]["served"]) == (1, 3)
    [lb] = report["chains"]
    assert (lb["code"], lb["visitors"], lb["reached"], lb["completed"], lb["stopped"]) == (
        "lb", 1, [1, 1, 1], 1, 0)
    assert lb["total_mean_s"] == (2 + 6 + 2 + 13 + 2 + 4) * 60  # taken → last step finished


def test_correction_ends_the_chain(ctx, chain, clock):
    hall = chain
    taken = tickets.issue(ctx, hall_id=hall["id"], service="lb", actor=kiosk(hall)).value
    staff, _ = serve(ctx, hall, 1, "li")
    step1 = finish(ctx, hall, 1, staff)
    staff = signed_in_at(ctx, hall, 3, "wang")  # the visitor shows the number at window 3
    called = calling.call_number(ctx, counter_id=hall["counters"][3], number="L001",
                                 actor=staff).value
    assert called["id"] == step1["next_step"]["id"]  # the step it is at, not the one done
    calling.start(ctx, counter_id=hall["counters"][3], actor=staff)
    stopped = visits.finish(ctx, counter_id=hall["counters"][3], actor=staff,
                            outcome="correction")
    assert stopped.value["next_step"] is None and step1["next_step"]["step"] == 2
    assert "ticket.step" not in [e.type for e in stopped.events]
    assert [r[0] for r in steps_of(ctx, "L001")] == [1, 2]  # never queued at step 3
    page = queries.ticket_by_token(ctx, taken["token"])
    assert (page["state"], page["chain"]["step"]) == ("done", 2)
    [lb] = reports.report(ctx, period="day", on="2026-11-23")["chains"]
    assert (lb["visitors"], lb["reached"], lb["completed"], lb["stopped"]) == (
        1, [1, 1, 0], 0, 1)
    assert lb["total_mean_s"] is None


def test_chain_ticket_keeps_its_order_at_the_next_step(ctx, chain, clock):
    """At its second step the chain ticket goes after those who queued there before its
    number was taken, and before those who came after: by the time it was taken."""
    hall = chain
    early = tickets.issue(ctx, hall_id=hall["id"], service="ss", actor=kiosk(hall)).value
    clock.advance(minutes=1)
    taken = tickets.issue(ctx, hall_id=hall["id"], service="lb", actor=kiosk(hall)).value
    clock.advance(minutes=1)
    later = tickets.issue(ctx, hall_id=hall["id"], service="ss", actor=kiosk(hall)).value
    staff, _ = serve(ctx, hall, 1, "li")
    moved = visits.finish(ctx, counter_id=hall["counters"][1], actor=staff, outcome="done")
    step = next(e for e in moved.events if e.type == "ticket.step")
    assert (step.payload["number"], step.payload["step"], step.payload["of"]) == ("L001", 2, 3)
    assert step.payload["new_ticket_id"] == moved.value["next_step"]["id"]
    stats = [e.payload for e in moved.events if e.type == "queue.stats"]
    assert [(s["service_id"], s["waiting"]) for s in stats] == [(hall["services"]["ss"], 3)]
    assert queries.ticket_by_token(ctx, taken["token"])["ahead"] == 1  # only the earlier one
    window3 = signed_in_at(ctx, hall, 3, "wang")
    order = []
    for _ in range(3):
        order.append(calling.call_next(ctx, counter_id=hall["counters"][3],
                                       actor=window3).value["number"])
        calling.start(ctx, counter_id=hall["counters"][3], actor=window3)
        visits.finish(ctx, counter_id=hall["counters"][3], actor=window3, outcome="inquiry")
    assert order == [early["number"], "L001", later["number"]]


def test_a_bad_chain_is_refused(ctx, chain, admin):
    base = load_layout(DATA / "small_hall.toml")
    other = chain_spec(code="lb2", chain=["hj", "ss"]).model_dump(exclude_none=True)
    for steps, why in ((["hj"], "at least two steps"), (["hj", "xx"], "unknown step xx"),
                       (["hj", "ss", "hj"], "comes back in the chain"),
                       (["lb2", "hj"], "itself a chain")):
        data = {**base, "services": [*base["services"],
                                     chain_spec(chain=steps).model_dump(exclude_none=True),
                                     other]}
        with pytest.raises(ValueError, match=f"services.lb: chain: .*{why}"):
            validate_layout(data)
    # the console checks against the hall's services: a step of "lb" cannot become a
    # chain, and a chain cannot come back to itself
    hj = {k: v for k, v in structure.get_service(ctx, actor=admin, code="hj").items()
          if k != "id"}
    err = refused("invalid_chain", "chain", structure.update_service, ctx, actor=admin,
                  code="hj", spec=ServiceSpec.model_validate({**hj, "chain": ["ss", "sfz"]}))
    assert err.params == {"service": "hj", "chain": "lb"}
    refused("invalid_chain", "chain", structure.update_service, ctx, actor=admin, code="lb",
            spec=chain_spec(chain=["hj", "lb"]))


def test_a_chain_ticket_is_not_transferred_out_of_its_chain(ctx, chain, clock):
    """A transfer would give the visitor a new, plain number and drop the chain: it is
    refused for a chain ticket, whatever the target, and the terminal offers no transfer;
    the step then ends with an outcome and the number goes on. A plain ticket still
    transfers."""
    hall = chain
    tickets.issue(ctx, hall_id=hall["id"], service="lb", actor=kiosk(hall))
    staff, _ = serve(ctx, hall, 1, "li")
    finish(ctx, hall, 1, staff)
    window3, called = serve(ctx, hall, 3, "wang")
    assert called["number"] == "L001"
    board = terminal.board(ctx, hall["counters"][3], window3)
    assert "transfer" not in board["actions"] and "finish" in board["actions"]
    where = board["current"]["chain"]  # the window at step 2 sees where the visitor was
    assert (where["step"], where["of"], where["service"]["name"]) == (2, 3, "税务申报")
    assert [(e["step"], e["service"]["name"], e["outcome"], e["counter_number"])
            for e in where["earlier"]] == [(1, "户籍办理", "done", 1)]
    for target in ({"to_service": "hj"}, {"to_service": "ss"}, {"to_counter": 4}):
        err = refused("chain_transfer", "ticket", visits.transfer, ctx,
                      counter_id=hall["counters"][3], actor=window3, **target)
        assert err.params == {"number": "L001", "step": 2, "of": 3, "chain": "户籍迁入联办"}
    assert [r[0] for r in steps_of(ctx, "L001")] == [1, 2]  # no new row, no new number
    done = finish(ctx, hall, 3, window3)
    assert (done["next_step"]["number"], done["next_step"]["step"]) == ("L001", 3)

    plain = tickets.issue(ctx, hall_id=hall["id"], service="ss", actor=kiosk(hall)).value
    serve(ctx, hall, 3, "wang")
    moved = visits.transfer(ctx, counter_id=hall["counters"][3], actor=window3,
                            to_service="hj").value
    assert moved["number"] == plain["number"] and moved["state"] == "transferred"
