"""/api/v1/duty over HTTP: the rota, attendance, leave and the first-contact desk, with bad
input answered 4xx naming the field."""
from __future__ import annotations

from tests.e2e.conftest import err


def test_duty_api_rota_leave_and_desk(supervisor_client, staff_client, login_as):
    boss, li = supervisor_client, staff_client
    zhao = login_as("zhao", "staff", "赵敏")
    post = {"counter": 1, "day": "2026-11-23", "shift": "am", "post": "A",
            "staff_id": li.staff_id}
    assert boss.put("/api/v1/duty/rota", json=post, headers=boss.csrf).status_code == 200
    r = boss.put("/api/v1/duty/rota", json=dict(post, post="B", staff_id=zhao.staff_id),
                 headers=boss.csrf)
    assert r.status_code == 200
    err(boss.put("/api/v1/duty/rota", json=dict(post, counter=2), headers=boss.csrf), 422,
        "rota_overlap", "staff_id")
    err(li.put("/api/v1/duty/rota", json=post, headers=li.csrf), 403, "forbidden",
        "authorization")
    r = boss.post("/api/v1/duty/rota/copy", json={"source": "2026-11-23",
                                                    "target": "2026-11-30"}, headers=boss.csrf)
    assert r.status_code == 200 and r.json["posts"] == 2
    mine = li.get("/api/v1/duty/rota?day=2026-11-30&mine=true").json["posts"]
    assert [(p["day"], p["counter"], p["post"]) for p in mine] == [("2026-11-30", 1, "A")]
    # an import names its posts or gives the rota file: one of the two, said as such
    for body in ({}, {"posts": [], "csv": ""}):
        err(boss.post("/api/v1/duty/rota/import", json=body, headers=boss.csrf), 422,
            "posts_or_csv", "csv")
    err(li.post("/api/v1/duty/rota/import", json={}, headers=li.csrf), 403, "forbidden",
        "authorization")

    # leave: bad periods and one's own decision refused, naming the field
    body = {"kind": "sick", "start": "2026-11-23T09:00:00+08:00",
            "end": "2026-11-23T08:00:00+08:00", "reason": "发烧"}
    err(li.post("/api/v1/duty/leave", json=body, headers=li.csrf), 422,
        "leave_ends_before_it_starts", "end")
    r = li.post("/api/v1/duty/leave", json=dict(body, kind="holiday"), headers=li.csrf)
    assert r.status_code == 422 and r.json["error"]["field"] == "kind"
    r = li.post("/api/v1/duty/leave", json=dict(body, end="2026-11-23T12:00:00+08:00"),
                headers=li.csrf)
    assert r.status_code == 201, r.json
    own = boss.post("/api/v1/duty/leave", json=dict(body, end="2026-11-23T12:00:00+08:00"),
                    headers=boss.csrf).json
    err(boss.post(f"/api/v1/duty/leave/{own['id']}/approve", json={}, headers=boss.csrf), 422,
        "own_leave", "leave_id")
    r = boss.post(f"/api/v1/duty/leave/{r.json['id']}/approve", json={"note": "好"},
                  headers=boss.csrf)
    assert r.status_code == 200 and r.json["state"] == "approved"
    err(boss.post(f"/api/v1/duty/leave/{r.json['id']}/refuse", json={}, headers=boss.csrf),
        409, "leave_decided", "leave_id")
    week = boss.get("/api/v1/duty/rota?day=2026-11-23").json["posts"]
    a, = [p for p in week if p["post"] == "A"]
    assert a["on_leave"] and a["cover"]["name"] == "赵敏"
    records = boss.get("/api/v1/duty/attendance?day=2026-11-23").json["records"]
    assert {(r["name"], r["status"], r["shifts"][0]["post"]) for r in records} >= {
        ("李娜", "on_leave", "A")}
    assert "B" in {r["shifts"][0]["post"] for r in records if r["name"] == "赵敏"}

    # the desk: a number taken for the visitor, counted for the first contact
    r = li.post("/api/v1/duty/inquiries", json={"question": "办身份证", "service": "sfz",
                                                "take_ticket": True}, headers=li.csrf)
    assert r.status_code == 201 and r.json["ticket"]["number"]
    err(li.post("/api/v1/duty/inquiries", json={"question": "?", "take_ticket": True},
                headers=li.csrf), 422, "service_required", "service")
    counts = boss.get("/api/v1/duty/inquiries/counts?start=2026-11-23&end=2026-11-23").json
    assert [(c["staff_id"], c["inquiries"], c["tickets_taken"]) for c in counts["staff"]] == [
        (li.staff_id, 1, 1)]
