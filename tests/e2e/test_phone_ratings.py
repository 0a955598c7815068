"""Ratings as the national scheme has them, over HTTP (Flask test client) on SQLite and
PostgreSQL: a late rating from the ticket's phone page within the hall's days, once per
visit across pad and phone; a 承诺件 rated at 受理 and again at 办结 (一事多评); the hall's
rating dimensions. Each rating is its own record for the province (outbox)."""
from __future__ import annotations

import json

from sqlalchemy import text

from hall.services.config import accounts
from tests.e2e.conftest import bearer, err, issue, served, sign_in_at_counter


def phone_rate(client, t: dict, **body):
    return client.post(f"/api/v1/tickets/{t['token']}/phone-rating", json=body)


def set_settings(seeded, **values) -> None:
    with seeded.engine.begin() as conn:
        current = conn.execute(text("SELECT settings FROM halls")).scalar_one()
        current = json.loads(current) if isinstance(current, str) else dict(current or {})
        conn.execute(text("UPDATE halls SET settings=:s"),
                     {"s": json.dumps({**current, **values}, ensure_ascii=False)})
    seeded.cache.clear()


def records(seeded) -> list[tuple[str, dict]]:
    with seeded.engine.connect() as conn:
        rows = conn.execute(text("SELECT key, payload FROM outbox WHERE topic='haocha.rating' "
                                 "ORDER BY id")).all()
    return [(k, json.loads(p) if isinstance(p, str) else p) for k, p in rows]


def test_late_rating_from_phone_page_once_per_visit(client, kiosk_headers, staff_client,
                                                    seeded, clock):
    set_settings(seeded, late_rating_days=3, rating_dimensions=["礼仪", "效率", "环境"])
    sign_in_at_counter(staff_client)
    pad = bearer(accounts.add_device(seeded, kind="pad", counter_number=1).value["token"])
    t = served(client, kiosk_headers, staff_client)
    t2 = served(client, kiosk_headers, staff_client)  # rated at the pad at once
    assert client.post(f"/api/v1/tickets/{t2['id']}/rating", json={"level": 5},
                       headers=pad).status_code == 201
    t3 = served(client, kiosk_headers, staff_client)  # never rated in time
    clock.advance(hours=26)  # the pad's 10 minutes are long over; the phone's 3 days not
    err(client.post(f"/api/v1/tickets/{t['id']}/rating", json={"level": 5}, headers=pad),
        409, "rating_closed", "ticket")
    err(phone_rate(client, t, level=4, dimensions={"速度": 5}), 422, "invalid_dimension",
        "dimensions")
    err(phone_rate(client, t, level=4, dimensions={"礼仪": 6}), 422, "invalid_level",
        "dimensions")
    err(phone_rate(client, t, level=2), 422, "reason_required", "reason")
    r = phone_rate(client, t, level=4, dimensions={"礼仪": 5, "效率": 4})
    assert r.status_code == 201, r.json
    assert r.json["level"] == 4 and r.json["stage"] == "completion"
    # once per visit: neither the phone again nor the pad
    err(phone_rate(client, t, level=5), 409, "already_rated", "ticket")
    with seeded.engine.connect() as conn:
        kept = conn.execute(text("SELECT level, channel, dimensions FROM ratings "
                                 "WHERE ticket_id=:i"), {"i": t["id"]}).one()
        state = conn.execute(text("SELECT state FROM tickets WHERE id=:i"),
                             {"i": t["id"]}).scalar()
    dims = json.loads(kept.dimensions) if isinstance(kept.dimensions, str) else kept.dimensions
    assert (kept.level, kept.channel, dims) == (4, "phone", {"礼仪": 5, "效率": 4})
    assert state == "rated"
    (_, (key, record)) = records(seeded)
    assert record["star"] == 4 and record["evalProcess"] == "2"
    assert record["evalDimensions"] == {"礼仪": 5, "效率": 4}

    # rated at the pad first: the phone page is refused the same visit
    err(phone_rate(client, t2, level=3), 409, "already_rated", "ticket")
    # past the hall's days: closed
    clock.advance(days=2)
    err(phone_rate(client, t3, level=5), 409, "rating_closed", "ticket")
    err(client.post("/api/v1/tickets/not-a-ticket-token/phone-rating", json={"level": 5}),
        404, "ticket_not_found", "token")
    waiting = issue(client, kiosk_headers).json
    err(phone_rate(client, waiting, level=5), 409, "not_finished", "ticket")
    assert len(records(seeded)) == 2  # one record per rating, whatever the channel
    assert records(seeded)[0][1]["star"] == 5  # the pad's


def test_case_rated_at_acceptance_and_completion(client, kiosk_headers, staff_client,
                                                 supervisor_client, seeded, clock):
    sign_in_at_counter(staff_client)
    pad = bearer(accounts.add_device(seeded, kind="pad", counter_number=1).value["token"])
    t = served(client, kiosk_headers, staff_client, outcome="accepted")  # 户籍: 承诺件
    number = t["case"]["number"]
    r = client.post(f"/api/v1/tickets/{t['id']}/rating", json={"level": 5}, headers=pad)
    assert r.status_code == 201  # 受理: at the window's pad
    # the case is not done: its 办结 rating waits
    err(phone_rate(client, t, level=4), 409, "case_not_done", "ticket")
    clock.advance(hours=1)  # the back office concludes it (a session lasts hours, not days)
    done = supervisor_client.post(f"/api/v1/cases/{number}/finish", json={},
                                  headers=supervisor_client.csrf)
    assert done.status_code == 200, done.json
    r = phone_rate(client, t, level=3)  # 办结: from the ticket's phone page
    assert r.status_code == 201, r.json
    assert r.json["stage"] == "completion" and r.json["case_number"] == number
    err(phone_rate(client, t, level=5), 409, "already_rated", "ticket")  # once per stage

    (acceptance, first), (completion, second) = records(seeded)
    assert first["evalProcess"] == "1" and first["star"] == 5
    assert first["affairSerialNo"] == number and first["affairDoneTime"] == ""
    assert second["evalProcess"] == "2" and second["star"] == 3
    assert second["affairSerialNo"] == number and len(second["affairDoneTime"]) == 14
    assert acceptance != completion  # two records, two keys
    with seeded.engine.connect() as conn:
        assert conn.execute(text("SELECT level, channel FROM case_ratings")).one() == (3,
                                                                                      "phone")


def test_the_phone_page_offers_a_rating_until_it_is_given_or_closed(
        client, kiosk_headers, staff_client, supervisor_client, seeded, clock):
    """The ticket's page (its QR) carries the rating form while its visit, or later the
    办结 of the case it accepted, can be rated from it; not before, not twice, not after the
    hall's days."""
    set_settings(seeded, late_rating_days=3, rating_dimensions=["礼仪", "效率"])
    sign_in_at_counter(staff_client)
    t = served(client, kiosk_headers, staff_client)
    html = client.get(f"/t/{t['token']}").get_data(as_text=True)
    assert 'id="t-rate"' in html and 'data-stage="completion"' in html
    assert f'data-url="/api/v1/tickets/{t["token"]}/phone-rating"' in html
    assert 'data-dimension="礼仪"' in html and 'data-dimension="效率"' in html
    assert '<option value="服务态度差">' in html  # the reasons of a low rating
    assert "rating-page.js" in html
    assert phone_rate(client, t, level=5, dimensions={"效率": 4}).status_code == 201
    assert 'id="t-rate"' not in client.get(f"/t/{t['token']}").get_data(as_text=True)

    # a 承诺件: rated at 受理 at the pad; the page offers the 办结 once the case is done
    pad = bearer(accounts.add_device(seeded, kind="pad", counter_number=1).value["token"])
    a = served(client, kiosk_headers, staff_client, outcome="accepted")
    assert client.post(f"/api/v1/tickets/{a['id']}/rating", json={"level": 4},
                       headers=pad).status_code == 201
    assert 'id="t-rate"' not in client.get(f"/t/{a['token']}").get_data(as_text=True)
    number = a["case"]["number"]
    assert supervisor_client.post(f"/api/v1/cases/{number}/finish", json={},
                                  headers=supervisor_client.csrf).status_code == 200
    html = client.get(f"/t/{a['token']}").get_data(as_text=True)
    assert 'data-stage="case"' in html and number in html
    # the 办结 rating, too, is open the hall's days after the case was concluded
    clock.advance(days=3, minutes=1)
    assert 'id="t-rate"' not in client.get(f"/t/{a['token']}").get_data(as_text=True)
    err(phone_rate(client, a, level=5), 409, "rating_closed", "ticket")
    waiting = issue(client, kiosk_headers).json  # not served yet: nothing to rate
    assert 'id="t-rate"' not in client.get(f"/t/{waiting['token']}").get_data(as_text=True)


def test_a_case_is_rated_from_its_own_page(client, kiosk_headers, staff_client,
                                           supervisor_client, seeded):
    """The case's page (/case/<number>?code=, the QR on its 受理回执) rates as the ticket's
    page does: its 受理 visit, then its 办结 once concluded; the look-up code is the proof."""
    sign_in_at_counter(staff_client)
    t = served(client, kiosk_headers, staff_client, outcome="accepted")
    number, code = t["case"]["number"], t["case"]["lookup_code"]
    url = f"/api/v1/cases/{number}/rating?code={code}"
    html = client.get(f"/case/{number}?code={code}").get_data(as_text=True)
    assert 'id="t-rate"' in html and 'data-stage="acceptance"' in html
    assert f'data-url="{url}"' in html and "rating-page.js" in html
    err(client.post(f"/api/v1/cases/{number}/rating?code=000000", json={"level": 5}), 404,
        "case_not_found", "number")
    err(client.post(f"/api/v1/cases/{number}/rating", json={"level": 5}), 422, "invalid",
        "code")
    r = client.post(url, json={"level": 4})
    assert r.status_code == 201 and r.json["stage"] == "acceptance", r.json
    err(client.post(url, json={"level": 4}), 409, "case_not_done", "ticket")
    assert 'id="t-rate"' not in client.get(f"/case/{number}?code={code}").get_data(as_text=True)

    assert supervisor_client.post(f"/api/v1/cases/{number}/finish", json={},
                                  headers=supervisor_client.csrf).status_code == 200
    html = client.get(f"/case/{number}?code={code}").get_data(as_text=True)
    assert 'data-stage="case"' in html
    r = client.post(url, json={"level": 5})
    assert r.status_code == 201 and r.json["stage"] == "completion", r.json
    err(client.post(url, json={"level": 5}), 409, "already_rated", "ticket")
    assert [(r["evalProcess"], r["star"]) for _, r in records(seeded)] == [("1", 4), ("2", 5)]
