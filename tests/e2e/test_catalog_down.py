"""Configuration down (DESIGN.md §8, issue 23 item 3) with the real NATS JetStream: the
region publishes its catalog and scheme (``hall region catalog|scheme publish``, into a
region database of its own: a SQLite file here, which costs nothing to make, where the
uplink's tests use PostgreSQL), two halls' downlinks (real processes) receive them; one
adopts by itself, the other — down while the region published — gets only the latest when
it starts, and its admin adopts it through the API. Each test has a bucket of its own."""
from __future__ import annotations

import json
import shutil
import threading
import tomllib
import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from hall.services.config.layout.seed import load_layout, seed
from hall.services.wiring import make_context
from hall.store.db import make_engine
from tests.conftest import DATA, wait_for
from tests.e2e import region_world as rw
from tests.e2e.server import free_port

SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


@pytest.fixture
def bucket():
    rw.need_nats()
    name = f"catalogtest_{uuid.uuid4().hex[:10]}"
    yield name
    import nats

    async def drop() -> None:
        nc = await nats.connect(rw.NATS_URL)
        try:
            await nc.jetstream().delete_key_value(name)
        except Exception:  # noqa: BLE001 - never made
            pass
        await nc.close()

    rw.run_async(drop())


def publish(kind: str, path, region_db: str, bucket: str, nats_url: str = rw.NATS_URL,
            exit_code: int = 0) -> str:
    """``hall region <kind> publish FILE`` as the region runs it (in this process, on a
    thread of its own: the command runs its own event loop); its output."""
    from click.testing import CliRunner

    from hall.cli import cli

    done: list = []
    args = ["region", kind, "publish", str(path), "--database-url", region_db, "--nats",
            nats_url, "--bucket", bucket]
    thread = threading.Thread(target=lambda: done.append(CliRunner().invoke(cli, args)))
    thread.start()
    thread.join(60)
    assert done and done[0].exit_code == exit_code, done and done[0].output
    return done[0].output


def downlink(hall_db: str, bucket: str, log, *extra: str) -> rw.Worker:
    return rw.Worker(["downlink", "--nats", rw.NATS_URL, "--bucket", bucket, "--every", "0.2",
                      *extra], log, {"HALL_DATABASE_URL": hall_db})


def query(url: str, sql: str):
    engine = create_engine(url, poolclass=NullPool)
    with engine.connect() as conn:
        rows = conn.execute(text(sql)).all()
    engine.dispose()
    return rows


def adopted(url: str, kind: str = "catalog") -> int:
    found = query(url, f"SELECT version FROM region_config_adoptions WHERE kind = '{kind}'")
    return found[0][0] if found else 0


def hall_database(sqlite_template, path, seeded: bool = False) -> str:
    """A migrated SQLite database of its own (with the small test hall if ``seeded``)."""
    shutil.copy(sqlite_template, path)
    url = f"sqlite:///{path}"
    if seeded:
        engine = make_engine(url)
        seed(make_context(engine), load_layout(DATA / "small_hall.toml"))
        engine.dispose()
    return url


@SQLITE_ONLY
def test_catalog_update_flows_to_halls(db_url, admin_client, sqlite_template, tmp_path,
                                       bucket):
    town = hall_database(sqlite_template, tmp_path / "town.db", seeded=True)
    region = hall_database(sqlite_template, tmp_path / "region.db")  # the region's own
    version2 = tmp_path / "catalog-2.json"
    body = tomllib.loads((DATA / "region_catalog.toml").read_text(encoding="utf-8"))
    next(e for e in body["services"] if e["code"] == "hj").update(fee="免费", promised_days=4)
    version2.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
    auto = downlink(town, bucket, tmp_path / "town.log", "--adopt").start()
    late = None
    try:
        assert "catalog version 1 published" in publish(
            "catalog", DATA / "region_catalog.toml", region, bucket)
        wait_for(lambda: adopted(town) == 1, 30, "the town hall adopting version 1")
        assert "version 1 unchanged, sent again" in publish(
            "catalog", DATA / "region_catalog.toml", region, bucket)
        assert "catalog version 2 published" in publish("catalog", version2, region, bucket)
        assert "scheme version 1 published" in publish(
            "scheme", DATA / "region_scheme.toml", region, bucket)
        # the app's hall was down all along: started now, it gets the latest versions only
        late = downlink(db_url, bucket, tmp_path / "late.log").start()
        wait_for(lambda: adopted(town) == 2 and adopted(town, "scheme") == 1, 30,
                 "the town hall adopting catalog version 2 and the scheme")
        # only the region changed hj since version 1: taken; gs is offered, not opened
        [(promised, guide)] = query(town, "SELECT promised_days, guide FROM services "
                                          "WHERE code = 'hj'")
        assert (promised, json.loads(guide)["fee"]) == (4, "免费")
        assert query(town, "SELECT count(*) FROM services WHERE code = 'gs'")[0][0] == 0
        wait_for(lambda: len(query(db_url, "SELECT 1 FROM region_config_versions")) == 2, 30,
                 "the late hall receiving the latest")
    finally:
        auto.stop()
        if late is not None:
            late.stop()
    assert query(region, "SELECT kind, max(version) FROM region_publications GROUP BY kind "
                         "ORDER BY kind") == [("catalog", 2), ("scheme", 1)]
    assert query(db_url, "SELECT kind, version FROM region_config_versions ORDER BY kind") == \
        [("catalog", 2), ("scheme", 1)]
    seen = admin_client.get("/api/v1/catalog").json["catalog"]
    assert (seen["received"], seen["adopted"], seen["pending"]["version"]) == (2, None, 2)
    r = admin_client.post("/api/v1/catalog/adopt", json={"kind": "catalog"},
                          headers=admin_client.csrf)
    assert r.status_code == 200 and r.json["new_services"] == ["gs"], r.json
    # never adopted before: what differs from its own services is asked, not overwritten
    conflicts = admin_client.get("/api/v1/catalog").json["catalog"]["conflicts"]
    assert sorted((c["entity"], c["field"], c["region"], c["local"]) for c in conflicts) == \
        [("hj", "fee", "免费", "不收费"), ("hj", "promised_days", 4, 5)]
    fee = next(c for c in conflicts if c["field"] == "fee")
    page = admin_client.get("/admin/catalog")  # the admin page that lists them (catalog.js)
    assert page.status_code == 200 and 'id="conflicts-catalog"' in page.get_data(True)
    r = admin_client.post(f"/api/v1/catalog/conflicts/{fee['id']}", json={"choice": "region"},
                          headers=admin_client.csrf)
    assert r.status_code == 200, r.json
    assert admin_client.get("/api/v1/config/services/hj").json["fee"] == "免费"
    assert admin_client.get("/api/v1/config/services/hj").json["promised_days"] == 5
    r = admin_client.post("/api/v1/catalog/adopt", json={"kind": "catalog"},
                          headers=admin_client.csrf)
    assert r.status_code == 409 and r.json["error"]["code"] == "nothing_to_adopt"



def test_a_publish_the_broker_missed_is_sent_by_publishing_again(sqlite_template, tmp_path,
                                                                 bucket):
    region = hall_database(sqlite_template, tmp_path / "region.db")
    down = f"nats://127.0.0.1:{free_port()}"  # the broker is not there
    said = publish("catalog", DATA / "region_catalog.toml", region, bucket, down, exit_code=1)
    assert "catalog version 1 stored, not sent" in said and "run the same command again" in said
    assert "unchanged, sent again" in publish("catalog", DATA / "region_catalog.toml", region,
                                              bucket)
    assert query(region, "SELECT kind, version FROM region_publications") == [("catalog", 1)]
    assert rw.run_async(_bucket_value(bucket, "catalog"))["version"] == 1


async def _bucket_value(bucket: str, key: str) -> dict:
    import nats

    from hall.services.region.downlink import decode

    nc = await nats.connect(rw.NATS_URL)
    try:
        return decode((await (await nc.jetstream().key_value(bucket)).get(key)).value)
    finally:
        await nc.close()
