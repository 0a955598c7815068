"""办件 over HTTP: staff list by urgency and finish; visitors look a case up by number."""
from __future__ import annotations

from datetime import date

from hall.services.config import accounts
from tests.conftest import add_case


def test_supervisors_list_and_finish_a_case_and_the_visitor_sees_it_done(app, seeded):
    with seeded.engine.connect() as conn:
        from sqlalchemy import text
        hall = {"id": conn.execute(text("SELECT id FROM halls")).scalar_one(),
                "services": dict(conn.execute(text("SELECT code, id FROM services")).all()),
                "counters": dict(conn.execute(text("SELECT number, id FROM counters")).all())}
    add_case(seeded, hall, "T-20261116-0001", date(2026, 11, 16), date(2026, 11, 19),
             date(2026, 11, 20))
    password = accounts.add_user(seeded, login="li", name="李娜",
                                 role="supervisor").value["password"]
    client = app.test_client()
    login = client.post("/api/v1/auth/login", json={"login": "li", "password": password}).json
    csrf = {"X-CSRFToken": login["csrf_token"]}
    red = client.get("/api/v1/cases?urgency=red").json
    assert [c["number"] for c in red["cases"]] == ["T-20261116-0001"]
    done = client.post("/api/v1/cases/T-20261116-0001/finish", json={"note": "已出证"},
                       headers=csrf)
    assert done.status_code == 200 and done.json["on_time"] is False
    again = client.post("/api/v1/cases/T-20261116-0001/finish", json={}, headers=csrf)
    assert again.status_code == 409 and again.json["error"]["field"] == "state"
    with seeded.engine.connect() as conn:
        code = conn.execute(text("SELECT lookup_code FROM cases")).scalar_one()
    public = app.test_client().get(f"/api/v1/cases/T-20261116-0001?code={code}").json
    assert public["state"] == "done" and public["done_on"] == "2026-11-23"
    bad = client.get("/api/v1/cases?urgency=purple")
    assert bad.status_code == 422 and bad.json["error"]["field"] == "urgency"
    assert app.test_client().get("/api/v1/cases").status_code == 401
