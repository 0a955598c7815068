"""The ``hall`` command: run, demo, seed, db, user, device, report (DESIGN.md §3)."""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

DEMO_LAYOUT = Path(__file__).parent / "seed" / "demo_hall.toml"


def _ctx(**engine_options):
    from hall.services.wiring import make_context
    from hall.store.db import make_engine
    from hall.store.migrate import upgrade

    upgrade()
    engine = make_engine(**engine_options)
    click.get_current_context().call_on_close(engine.dispose)
    return make_context(engine)


@click.group(help="Hall: queue and kiosk management for public service halls.")
def cli() -> None:
    pass


@cli.command(help="Serve the hall (HTTP + Socket.IO).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def run(host: str, port: int) -> None:
    _serve(host, port)


def _serve(host: str, port: int, devices: dict | None = None,
           adapters: dict | None = None) -> None:
    """Serve; device bridges from HALL_DEVICES (and `devices`, devices.toml data) run in
    this process against its own URL (the one-box layout), and so does the outbox worker
    (the adapters the environment configures, or ``adapters``)."""
    from hall.app import create_app
    from hall.extensions import socketio
    from hall.realtime.serve import serve
    from hall.services.config import accounts
    from hall.services.supervision.watch import start_watch
    from hall.web.context import hall_context

    app = create_app({"BACKGROUND_CHECKPOINT": True})
    # first start of a seeded hall: its admin, with a password shown here once (no default)
    for made in accounts.ensure_admins(hall_context(app)).value:
        click.echo(f"Hall {made['hall']}: administrator {made['login']} created; password "
                   f"(shown once, keep it safe): {made['password']} (a one-time password: "
                   "it must be replaced at the first sign-in)")
    start_watch(app, float(os.environ.get("HALL_WATCH_SECONDS", "5")))  # 电子监察 alerts
    from hall.services.config import settings
    from hall.web.reach import advice

    click.echo("\n".join(advice(host, port, settings.public_url(hall_context(app)))))
    _outbox_in_server(app, adapters)
    _bridges_in_server(host, port, devices)
    click.echo(f"Hall serving on http://{host}:{port}/ ({app.config['ASYNC_MODE']}); "
               "Ctrl-C stops it.")
    serve(app, socketio, host, port)


def _outbox_in_server(app, adapters: dict | None) -> None:
    """The outbox worker in this process (DESIGN.md §7), unless HALL_OUTBOX_WORKER=0 (a
    separate `hall outbox run` sends instead): the adapters the environment configures
    (好差评, SMS, WeChat) or ``adapters``; and, with or without them, the erasing of
    near-turn phones past the hall's days (every HALL_OUTBOX_CHORES_SECONDS, 600)."""
    from hall.services.outbox import sms, worker
    from hall.services.queue import notify
    from hall.services.ratings.exchange import adapters_from_environment

    if os.environ.get("HALL_OUTBOX_WORKER", "1") == "0":
        click.echo("Outbox: not sent from this process (HALL_OUTBOX_WORKER=0)")
        return
    adapters = {**(adapters or {}), **adapters_from_environment(),
                **sms.adapters_from_environment(os.environ)}
    ctx = app.extensions["hall"]
    worker.start_in_server(app, adapters,
                           idle_s=float(os.environ.get("HALL_OUTBOX_IDLE_SECONDS", "2")),
                           chores=lambda: notify.erase_expired(ctx),
                           chores_every_s=float(os.environ.get("HALL_OUTBOX_CHORES_SECONDS",
                                                               "600")))
    click.echo(f"Outbox: sending {', '.join(sorted(adapters))} from this process" if adapters
               else "Outbox: no adapter configured; erasing expired phone numbers only")


def _bridges_in_server(host: str, port: int, extra: dict | None) -> None:
    from hall.agent.config import ConfigError, DevicesConfig, load, parse
    from hall.agent.runtime import start_in_server

    path = os.environ.get("HALL_DEVICES")
    try:
        configs = ([load(path)] if path else []) + ([parse(extra, "demo devices")] if extra
                                                     else [])
        if not configs:
            return
        merged = DevicesConfig([b for c in configs for b in c.bridges], configs[0].settings,
                               " + ".join(c.source for c in configs))
        agent = start_in_server(merged, host, port)
    except ConfigError as exc:
        raise click.ClickException(f"HALL_DEVICES: {exc}") from None
    click.echo(f"Device bridges: {len(agent.runners)} from {merged.source}")


@cli.command(help="Seed the demo hall (if empty), print sign-ins and URLs, and serve it.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--keep-hours", is_flag=True,
              help="Honour services' opening hours (by default the demo is open around the clock).")
@click.option("--simulate", "simulated", is_flag=True, envvar="HALL_DEMO_SIMULATE",
              help="Also play a live day (`hall simulate` at --speed, in its own process) "
                   "so the screens, LED signs, board and reports show life at once.")
@click.option("--speed", default=60.0, show_default=True, type=click.FloatRange(min=0.01),
              envvar="HALL_DEMO_SIMULATE_SPEED",
              help="The simulated day's speed (with --simulate).")
def demo(host: str, port: int, keep_hours: bool, simulated: bool, speed: float) -> None:
    from hall.services.config.layout.seed import load_layout, seed

    ctx = _ctx()
    first = _hall_count(ctx) == 0
    seed(ctx, load_layout(DEMO_LAYOUT), ignore_hours=not keep_hours)
    from drivers import demo as demo_devices
    from hall.services.devices import printing
    from kiosk.demo import start_demo_printer

    devices = _demo_devices(ctx, first)
    emulated, lines = demo_devices.start(devices, _instance())
    printer_url, printer_lines = start_demo_printer(_instance())
    printing.set_printer(ctx, device_id=devices["kiosk"]["id"], url=printer_url)
    # window 1's papers (受理回执 …) come out of the same emulated printer
    printing.set_printer(ctx, device_id=devices["printer"]["id"], url=printer_url)
    adapters, province_lines = _demo_province()
    base = f"http://{host}:{port}"
    screen, kiosk, pad = devices["screen"], devices["kiosk"], devices["pad"]
    click.echo("\n".join([
        f"Kiosk        {base}/kiosk/{kiosk['id']}?token={kiosk['token']}",
        f"Hall screen  {base}/display/hall/{screen['id']}?token={screen['token']}",
        f"Window 1     {base}/display/counter/1?token={screen['token']}",
        f"Counter      {base}/counter   (staff sign in, choose a window)",
        f"Rating pad   {base}/pad/{pad['id']}?token={pad['token']}   (window 1)",
        f"Phone page   {base}/t/<ticket token>   (the QR on each ticket)",
        f"Booking      {base}/book",
        f"Board        {base}/admin/board   (supervisor or admin; also reports, cases,"
        " follow-ups, devices)",
        f"API          {base}/api/v1/openapi.json",
        *printer_lines,
        *province_lines,
        *lines,
    ]))
    if simulated:
        _simulate_beside(base, speed)
    _serve(host, port, emulated, adapters)


def _end_with_parent() -> None:
    """A simulator started by `hall demo --simulate` (HALL_SIMULATE_PARENT, the demo's pid)
    ends when the demo does, however it ends."""
    import threading
    import time

    parent = os.environ.get("HALL_SIMULATE_PARENT")
    if not parent:
        return

    def watch() -> None:
        while os.getppid() == int(parent):
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _simulate_beside(base: str, speed: float) -> None:
    """`hall simulate` against this server, in a process of its own (it waits for the
    server to answer) that ends with this one; its log is in the instance folder."""
    import atexit
    import subprocess

    log = _instance() / "simulate-demo.out"
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        proc = subprocess.Popen([sys.executable, "-m", "hall.cli", "simulate", "--server", base,
                                 "--speed", str(speed)], stdout=out, stderr=subprocess.STDOUT,
                                env={**os.environ, "HALL_SIMULATE_PARENT": str(os.getpid())})
    atexit.register(proc.terminate)
    click.echo(f"Simulated day at {speed:g}× (pid {proc.pid}); its output: {log}")


def _demo_province() -> tuple[dict, list[str]]:
    """The demo's province 好差评 endpoint: the emulator (drivers/haocha), unless
    HALL_HAOCHA_URL names a real one; its records show on /admin/exchange."""
    if os.environ.get("HALL_HAOCHA_URL"):
        return {}, []
    from drivers.haocha.emulator import HaochaEmulator
    from hall.services.outbox.http import JsonEndpoint
    from hall.services.ratings.exchange import TOPICS

    province = HaochaEmulator().start()
    return (dict.fromkeys(TOPICS, JsonEndpoint(province.url)),
            [f"好差评 endpoint {province.url}   (emulated; ratings and case stages reach "
             "it, see /admin/exchange)"])


# the demo's devices: key → (kind, name, window number); emulated ones are driven by
# drivers/demo.py, the kiosk's and window 1's printer by kiosk/demo.py
DEMO_DEVICES = {
    "kiosk": ("kiosk", "大厅1号取号机", None),
    "screen": ("screen", "大厅主屏", None),
    "sign": ("sign", "窗口屏与通屏总线", None),
    "pad": ("pad", "1号窗口评价器", 1),
    "keypad": ("keypad", "2号窗口叫号器", 2),
    "ratingpad": ("pad", "2号窗口按键评价器", 2),
    "printer": ("printer", "1号窗口打印机", 1),
}


def _instance() -> Path:
    return Path(os.environ.get("HALL_INSTANCE", "instance"))


def _demo_devices(ctx, first: bool) -> dict:
    """Accounts and devices of the demo hall, created once. Passwords are printed only
    then; the demo's device tokens are kept in instance/demo-devices.json (0600) so the
    printed URLs stay the same from one `make run` to the next."""
    from hall.services.config import accounts

    path = _instance() / "demo-devices.json"
    if first:
        admin = accounts.add_user(ctx, login="admin", name="管理员", role="admin").value
        click.echo(f"admin password (shown once): {admin['password']}")
        user = accounts.add_user(ctx, login="zhangwei", name="张伟").value
        click.echo(f"staff zhangwei password (shown once): {user['password']}")
    devices = {} if first or not path.exists() else json.loads(path.read_text())
    missing = [key for key in DEMO_DEVICES if key not in devices]
    if missing:  # a new database, or a demo device added since the last run
        for key in missing:
            kind, name, window = DEMO_DEVICES[key]
            devices[key] = accounts.add_device(ctx, kind=kind, name=name,
                                               counter_number=window).value
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(devices, fh)
    return devices


def _hall_count(ctx) -> int:
    from sqlalchemy import func, select

    from hall.store.models import Hall
    with ctx.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(Hall)).scalar_one()


@cli.command("seed", help="Load (or update) a hall layout from a TOML file.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--ignore-hours", is_flag=True, help="Drop opening hours (demos, tests).")
def seed_cmd(file: str, ignore_hours: bool) -> None:
    """Prints the counts as JSON; seeding a hall that has no admin yet also makes its
    admin, whose one-time password is in the JSON (``first_admins``) this once."""
    from hall.services.config import accounts
    from hall.services.config.layout.seed import load_layout, seed

    try:
        layout = load_layout(file)
    except (ValueError, KeyError) as exc:
        raise click.ClickException(f"{file}: {exc}") from exc
    from drivers.urls import parse  # the check /admin/devices registers (admin/__init__.py)
    from hall.domain.errors import DomainError

    ctx = _ctx()
    try:
        done = seed(ctx, layout, ignore_hours=ignore_hours, check=parse).value
    except DomainError as exc:
        raise click.ClickException(f"{file}: {exc}") from exc
    made = accounts.ensure_admins(ctx).value
    click.echo(json.dumps({**done, "first_admins": made} if made else done))


@cli.command("export", help="Write a hall's layout as the TOML file `hall seed` reads "
                            "(staff without passwords).")
@click.option("--output", "-o", type=click.Path(dir_okay=False), default=None,
              help="Write to this file (default: standard output).")
@click.option("--hall", "hall_code", default=None, help="Hall code (default: the first hall).")
def export_cmd(output: str | None, hall_code: str | None) -> None:
    from hall.domain.errors import DomainError
    from hall.services.config.layout import exchange as layout

    ctx = _ctx()
    try:
        text = layout.dump_toml(layout.export_layout(ctx, layout.hall_id_by_code(ctx, hall_code)))
    except DomainError as exc:
        what = f"no hall {hall_code!r}" if hall_code else "no hall yet"
        raise click.ClickException(f"{what}: seed one first (hall seed FILE)") from exc
    if output:
        Path(output).write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}")
    else:
        click.echo(text, nl=False)


@cli.group(help="The outbox: records and messages leaving the hall (DESIGN.md §7).")
def outbox() -> None:
    pass


@outbox.command("run", help="Send the outbox's due rows through the adapters configured in "
                "the environment (HALL_HAOCHA_URL, HALL_SMS_ALIYUN_…, HALL_SMS_TENCENT_…, "
                "HALL_WECHAT_… ), with retries and backoff, until stopped; erases the "
                "phones of near-turn messages past the hall's days.")
@click.option("--once", is_flag=True, help="One pass, then exit.")
@click.option("--batch", default=20, show_default=True, type=int)
@click.option("--lease", default=60.0, show_default=True, type=float,
              help="Seconds a claimed row is held before another worker may take it.")
@click.option("--idle", default=2.0, show_default=True, type=float)
def outbox_run(once: bool, batch: int, lease: float, idle: float) -> None:
    from hall.services.outbox import sms, worker
    from hall.services.queue import notify
    from hall.services.ratings.exchange import adapters_from_environment

    ctx = _ctx()
    adapters = {**adapters_from_environment(), **sms.adapters_from_environment(os.environ)}
    if not adapters:
        raise click.ClickException("no adapter configured (set HALL_HAOCHA_URL, "
                                   "HALL_SMS_ALIYUN_ACCESS_KEY_ID …)")
    settings = worker.Settings(batch=batch, lease_s=lease)
    notify.erase_expired(ctx)
    if once:
        click.echo(json.dumps(worker.run_once(ctx, adapters, settings)))
        return
    worker.loop(ctx, adapters, idle_s=idle, settings=settings,
                chores=lambda: notify.erase_expired(ctx))


@cli.group(help="Many halls, one region (DESIGN.md §8): the hall's events up to the region.")
def region() -> None:
    pass


def _link(nats_url: str, stream: str, prefix: str):
    from hall.services.region.link import Link

    return Link(url=nats_url, stream=stream, prefix=prefix)


_NATS = click.option("--nats", "nats_url", default="nats://127.0.0.1:4222", show_default=True,
                     help="The region's NATS JetStream.")
_STREAM = click.option("--stream", default="HALL_EVENTS", show_default=True)
_PREFIX = click.option("--prefix", default="hall.events", show_default=True,
                       help="Subjects are PREFIX.<hall uid>.")


@region.command("uplink", help="Ship this hall's event log (HALL_DATABASE_URL) to the region, "
                "in order, each event once; retries with backoff while the link is down.")
@_NATS
@_STREAM
@_PREFIX
@click.option("--uid", "uids", multiple=True, metavar="CODE=UID",
              help="The hall's uid in the region (default: its code); kept once shipped.")
def region_uplink(nats_url: str, stream: str, prefix: str, uids: tuple[str, ...]) -> None:
    import logging

    from hall.services.region import link

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    from hall.domain.errors import DomainError

    named = dict(u.split("=", 1) for u in uids if "=" in u)
    ctx = _ctx()
    try:  # every hall with its uplink row and uid, before any connection
        halls = link.prepare(ctx, named)
    except DomainError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Uplink: {nats_url} stream {stream}, subjects {prefix}.<hall uid>")
    link.run_until_signalled(lambda stop: link.uplink(
        ctx, _link(nats_url, stream, prefix), halls, stop=stop))


@region.command("ingest", help="Write the halls' events from the broker into the region's "
                "database, each (hall, seq) once and in order per hall.")
@click.option("--database-url", required=True, help="The region's database.")
@_NATS
@_STREAM
@_PREFIX
@click.option("--durable", default="region", show_default=True,
              help="The durable consumer's name (where the region has read up to).")
@click.option("--ack-wait", default=5.0, show_default=True, type=float,
              help="Seconds before a message taken but not acknowledged is delivered again.")
def region_ingest(database_url: str, nats_url: str, stream: str, prefix: str, durable: str,
                  ack_wait: float) -> None:
    import logging

    from hall.services.context import Context
    from hall.services.region import link
    from hall.store.db import make_engine
    from hall.store.migrate import upgrade as do_upgrade

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    do_upgrade(database_url)
    ctx = Context(engine=make_engine(database_url), followups=[])
    click.echo(f"Ingest: {nats_url} stream {stream} → {ctx.engine.url.render_as_string()}")
    link.run_until_signalled(lambda stop: link.ingest(
        ctx, _link(nats_url, stream, prefix), durable, ack_wait_s=ack_wait, stop=stop))


_REGION_DB = click.option("--database-url", required=True, help="The region's database.")


def _region_command(command) -> None:
    """Run one tree command in the region's database; a refusal is printed, not raised."""
    from hall.domain.errors import DomainError
    from hall.services.context import Context, run
    from hall.store.db import make_engine
    from hall.store.migrate import upgrade as do_upgrade

    url = click.get_current_context().params["database_url"]
    do_upgrade(url)
    engine = make_engine(url)
    try:
        return run(Context(engine=engine, followups=[]), command).value
    except DomainError as exc:
        raise click.ClickException(f"{exc.field}: {exc}") from None
    finally:
        engine.dispose()


@region.command("place", help="Add a place to the region's tree (市 → 区县 → 乡镇).")
@click.argument("code")
@click.argument("name")
@click.option("--level", type=click.Choice(["city", "county", "town"]), required=True)
@click.option("--parent", default=None, help="The code of the place above.")
@_REGION_DB
def region_place(code: str, name: str, level: str, parent: str | None,
                 database_url: str) -> None:
    from hall.services.region import tree

    _region_command(lambda u: tree.add_place(u, code, name, level, parent))
    click.echo(f"place {code} added")


@region.command("hall", help="Say which place a hall (by its uplink uid) serves.")
@click.argument("uid")
@click.option("--place", required=True)
@click.option("--name", required=True)
@click.option("--board-url", default=None, help="The hall's own board, linked from the "
              "region board (e.g. https://wz-center.example/admin/board).")
@click.option("--timezone", default=None, help="The hall's zone (its days); Asia/Shanghai.")
@click.option("--target-wait-minutes", type=int, default=None,
              help="The hall's target wait, as the hall has it (15).")
@_REGION_DB
def region_hall(uid: str, place: str, name: str, board_url: str | None, timezone: str | None,
                target_wait_minutes: int | None, database_url: str) -> None:
    from hall.services.region import tree

    target = target_wait_minutes * 60 if target_wait_minutes is not None else None
    _region_command(lambda u: tree.attach_hall(u, uid, place, name, board_url=board_url,
                                               timezone=timezone, target_wait_s=target))
    click.echo(f"hall {uid} serves {place}")


@region.command("serve", help="Serve the region's pages (board, reports, 月通报) and API.")
@_REGION_DB
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5100, show_default=True, type=int)
def region_serve(database_url: str, host: str, port: int) -> None:
    from gevent.pywsgi import WSGIServer

    from hall.store.migrate import upgrade as do_upgrade
    from region import create_app

    do_upgrade(database_url)
    app = create_app(database_url)
    click.echo(f"region pages at http://{host}:{port}/", err=True)
    WSGIServer((host, port), app, log=None).serve_forever()


@region.command("user", help="A region supervisor or admin; prints a one-time password.")
@click.argument("login")
@click.option("--place", required=True)
@click.option("--name", default=None)
@click.option("--role", type=click.Choice(["supervisor", "admin"]), default="supervisor")
@_REGION_DB
def region_user(login: str, place: str, name: str | None, role: str,
                database_url: str) -> None:
    from hall.services.region import tree

    made = _region_command(lambda u: tree.add_account(u, login, name or login, role, place))
    click.echo(f"{role} {login} at {place}; one-time password: {made['password']}")


_BUCKET = click.option("--bucket", default="HALL_CONFIG", show_default=True,
                       help="The key-value bucket the region's configuration waits in.")


def _publish(kind: str, file: str, nats_url: str, bucket: str) -> None:
    """Store ``file`` as the next version of ``kind`` (or the latest again, unchanged) in the
    region's database, then put it where the halls' downlinks read it."""
    import asyncio

    from hall.domain.errors import DomainError
    from hall.services.region import catalog_file, downlink, published

    try:
        body = catalog_file.read(kind, file)
    except DomainError as exc:
        raise click.ClickException(str(exc)) from None
    message = _region_command(lambda u: published.publish(u, kind, body))
    state = "published" if message.pop("new") else "unchanged, sent again"
    try:
        asyncio.run(downlink.send(downlink.Board(url=nats_url, bucket=bucket), message))
    except Exception as exc:  # noqa: BLE001 - the broker: say so, the version is kept
        raise click.ClickException(
            f"{kind} version {message['version']} stored, not sent ({type(exc).__name__}: "
            f"{exc}); run the same command again to send it") from None
    click.echo(f"{kind} version {message['version']} {state} ({bucket} on {nats_url})")


def _publisher(kind: str, what: str, shape: str) -> None:
    """``hall region <kind> publish FILE``: the same command for the catalog and the scheme."""

    @region.group(kind, help=f"The region's {what}.")
    def group() -> None:
        pass

    @group.command("publish", help=f"Publish FILE (TOML or JSON: {shape}) as the {kind}'s "
                   "next version, for every hall's downlink.")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False))
    @_REGION_DB
    @_NATS
    @_BUCKET
    def publish(file: str, database_url: str, nats_url: str, bucket: str) -> None:
        _publish(kind, file, nats_url, bucket)


_publisher("catalog", "service catalog (事项 of the 实施清单)", "[[services]] entries")
_publisher("scheme", "assessment scheme (日考核 points, targets)", "[rules], [targets]")


@region.command("downlink", help="Receive the region's catalog and scheme into this hall's "
                "database (HALL_DATABASE_URL) as pending versions; retries with backoff "
                "while the link is down.")
@_NATS
@_BUCKET
@click.option("--every", default=5.0, show_default=True, type=float,
              help="Seconds between two reads of the bucket.")
@click.option("--adopt", "adopt_all", is_flag=True,
              help="Adopt each new version in every hall at once (fields changed locally "
                   "still wait for the admin).")
def region_downlink(nats_url: str, bucket: str, every: float, adopt_all: bool) -> None:
    import logging

    from hall.services.region import downlink, link

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    ctx = _ctx()
    board = downlink.Board(url=nats_url, bucket=bucket, every_s=every)
    click.echo(f"Downlink: {nats_url} bucket {bucket}" + (", adopting" if adopt_all else ""))
    link.run_until_signalled(lambda stop: downlink.downlink(ctx, board, adopt_all=adopt_all,
                                                            stop=stop))


@cli.group(help="Database schema (Alembic).")
def db() -> None:
    pass


@db.command(help="Migrate the database to the newest schema.")
def upgrade() -> None:
    from hall.store.db import database_url
    from hall.store.migrate import upgrade as do_upgrade

    do_upgrade()
    click.echo(f"migrated {database_url()}")


@cli.group(help="Staff accounts.")
def user() -> None:
    pass


@user.command("add", help="Create (or reset) a staff account; prints a one-time password, "
                          "which its owner must replace at the first sign-in.")
@click.argument("login")
@click.option("--name", default=None, help="Display name (defaults to LOGIN).")
@click.option("--role", type=click.Choice(["staff", "supervisor", "admin"]), default="staff")
@click.option("--hall", "hall_code", default=None, help="Hall code (default: the first hall).")
def user_add(login: str, name: str | None, role: str, hall_code: str | None) -> None:
    from hall.domain.errors import DomainError
    from hall.services.config import accounts

    try:
        u = accounts.add_user(_ctx(), login=login, name=name or login, role=role,
                              hall_code=hall_code, one_time=True).value
    except DomainError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{u['login']} ({u['role']}) one-time password, to be replaced at the first "
               f"sign-in: {u['password']}")


@cli.group(help="Devices: kiosks, screens, keypads, pads, agents, window printers.")
def device() -> None:
    pass


@device.command("add", help="Register a device; prints its token (shown once).")
@click.option("--kind", required=True,
              type=click.Choice(["kiosk", "screen", "sign", "keypad", "pad", "agent",
                                 "printer"]))
@click.option("--counter", "counter_number", type=int, default=None,
              help="Window number (keypads, pads and window printers).")
@click.option("--name", default="")
@click.option("--hall", "hall_code", default=None)
@click.option("--url", default=None,
              help="The printer the server drives itself (escpos+tcp://HOST:9100 …): a window "
                   "printer or a kiosk's. Without it an agent's printer bridge prints.")
def device_add(kind: str, counter_number: int | None, name: str, hall_code: str | None,
               url: str | None) -> None:
    from hall.domain.errors import DomainError
    from hall.services.config import accounts

    try:
        d = accounts.add_device(_ctx(), kind=kind, name=name, counter_number=counter_number,
                                hall_code=hall_code, url=url).value
    except DomainError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(d["token"])


@cli.command(help="Pair this machine with a Hall server: print a code for an admin to "
                  "approve on /admin/devices, then keep the token it is given.")
@click.option("--server", required=True, envvar="HALL_SERVER",
              help="The server's URL, e.g. http://hall.local:5000 (or HALL_SERVER).")
@click.option("--kind", type=click.Choice(["agent", "kiosk", "screen", "pad", "printer"]),
              default="agent", show_default=True)
@click.option("--name", default="", help="A name to suggest (the admin may change it).")
@click.option("--token-file", required=True, type=click.Path(dir_okay=False),
              help="Where to keep the token (written 0600); give it to `hall agent "
                   "--token-file`.")
def pair(server: str, kind: str, name: str, token_file: str) -> None:
    import socket

    from hall.agent.pairing import PairingError, ask, save_token, wait_for_token

    server = server.rstrip("/")
    try:
        asked = ask(server, kind, name, socket.gethostname())
        click.echo(f"Pairing code: {asked['code'][:3]} {asked['code'][3:]}\n"
                   f"An admin approves it on {server}/admin/devices before "
                   f"{asked['expires_at']}; waiting…", err=False)
        claimed = wait_for_token(server, asked)
    except PairingError as exc:
        raise click.ClickException(str(exc)) from None
    save_token(Path(token_file), claimed["token"])
    click.echo(f"Paired as {claimed['kind']} {claimed['name']!r} (device {claimed['device_id']});"
               f" token kept in {token_file}")


@cli.command(help="Run device bridges (printer, LED, keypad, rating pad) next to the "
                  "devices, against a Hall server.")
@click.option("--server", required=True, envvar="HALL_SERVER",
              help="The server's URL, e.g. http://hall.local:5000 (or HALL_SERVER).")
@click.option("--token", envvar="HALL_AGENT_TOKEN", default=None,
              help="This agent's token (hall device add --kind agent), for its own health "
                   "and its bridges' (or HALL_AGENT_TOKEN). Bridges act with their own tokens.")
@click.option("--token-file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Read this agent's token from a file (as `hall pair` writes it).")
@click.option("--config", "config_path", required=True, envvar="HALL_DEVICES",
              type=click.Path(dir_okay=False), help="devices.toml (see README).")
@click.option("--check", is_flag=True, help="Check the config (imports, options) and exit.")
@click.option("--log-level", default="INFO", show_default=True,
              type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"]))
def agent(server: str, token: str | None, token_file: str | None, config_path: str,
          check: bool, log_level: str) -> None:
    import logging
    import signal
    import threading

    from hall.agent.config import ConfigError, load
    from hall.agent.runtime import Agent

    if token_file:
        token = Path(token_file).read_text(encoding="utf-8").strip()
    logging.basicConfig(level=log_level, format="%(asctime)s %(levelname)s %(name)s: "
                                                "%(message)s")
    # the blueprint packages that hold the bridges import the app's modules, Alembic included
    logging.getLogger("alembic").setLevel(max(logging.WARNING, logging.getLevelName(log_level)))
    try:
        runtime = Agent(load(config_path), server, token)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    if check:
        click.echo(f"{config_path}: {len(runtime.runners)} bridge(s): "
                   + ", ".join(r.name for r in runtime.runners))
        return
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    runtime.start()
    click.echo(f"Agent running {len(runtime.runners)} bridge(s) against {server}; "
               "Ctrl-C stops it.")
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        runtime.stop()


@cli.command(help="Figures for a day, week, month or range (日考核/周汇总/月通报).")
@click.option("--period", type=click.Choice(["day", "week", "month", "range"]), default="day",
              show_default=True)
@click.option("--on", "--day", "on", default=None,
              help="A day in the period, YYYY-MM-DD in the hall's zone (default today); "
                   "the first day of a range.")
@click.option("--end", default=None, help="Last day of a range, YYYY-MM-DD.")
@click.option("--group", type=click.Choice(["hall", "department", "service", "counter",
                                            "staff", "staff_department"]),
              default="service", show_default=True)
@click.option("--format", "fmt", type=click.Choice(["text", "json", "csv", "xlsx"]),
              default="text", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False), default=None,
              help="Write to this file (needed for xlsx).")
@click.option("--lang", default="zh_CN", show_default=True, help="Headings: zh_CN or en.")
def report(period: str, on: str | None, end: str | None, group: str, fmt: str,
           output: str | None, lang: str) -> None:
    from hall.domain.errors import DomainError
    from hall.services.supervision import exports, reports

    try:
        data = reports.report(_ctx(), period=period, on=on, end=end, group=group,
                              roll_up_first=True)
    except DomainError as exc:
        raise click.BadParameter(str(exc), param_hint=f"--{exc.field}") from exc
    if fmt == "xlsx":
        if not output:
            raise click.UsageError("--format xlsx needs --output FILE")
        Path(output).write_bytes(exports.to_xlsx(data, exports.translator(lang)))
        click.echo(f"wrote {output}")
        return
    text = {"json": lambda: json.dumps(data, ensure_ascii=False, indent=2),
            "csv": lambda: exports.to_csv(data, exports.translator(lang)),
            "text": lambda: exports.as_text(data, exports.translator(lang))}[fmt]()
    if output:
        Path(output).write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}")
    else:
        click.echo(text)


@cli.command(help="Play a realistic day through the HTTP API of a running server (the "
             "server's database must be HALL_DATABASE_URL: the simulator makes its staff "
             "accounts and devices there): arrivals with morning and afternoon peaks and a "
             "lunch dip, service times and outcomes per service, priority and appointment "
             "tickets, no-shows, transfers, ratings, lunch pauses and sign-outs.")
@click.option("--server", default="http://127.0.0.1:5000", show_default=True,
              envvar="HALL_SERVER")
@click.option("--speed", default=60.0, show_default=True, type=click.FloatRange(min=0.01),
              help="Simulated seconds per real second: 1 (real time), 10, 60 … (more for "
                   "tests and soaks).")
@click.option("--seed", default=1, show_default=True, type=int,
              help="The same seed plays the same visitors.")
@click.option("--visitors", default=300, show_default=True, type=click.IntRange(min=0),
              help="About how many visitors the day brings.")
@click.option("--open", "open_hour", default=9, show_default=True, type=click.IntRange(0, 23))
@click.option("--close", "close_hour", default=17, show_default=True,
              type=click.IntRange(1, 24))
@click.option("--windows", default=None, type=click.IntRange(min=1),
              help="Staff only the first N windows (default: every window).")
@click.option("--kiosks", default=None, type=click.IntRange(min=1),
              help="Kiosks issuing in turn (default: enough to stay under the server's "
                   "rate limit at this speed, at most 10; far above 60× run the server "
                   "with HALL_RATELIMIT_ENABLED=0).")
@click.option("--hall", "hall_code", default=None, help="Hall code (default: the first hall).")
@click.option("--log", "log_path", default=None, type=click.Path(dir_okay=False),
              help="The simulator's JSON-lines log (default: "
                   "<instance>/simulate-<time>.jsonl).")
@click.option("--soak", is_flag=True,
              help="Also check every ticket's final state on the server; print every error "
                   "and exit non-zero on any.")
@click.option("--days", default=None, type=click.IntRange(min=1),
              help="With --fast: fill the N days before today that the hall served "
                   "(working days and its 延时服务 days) for reports, and roll them up. A day "
                   "that has tickets already is left out, never filled twice.")
@click.option("--fast", is_flag=True,
              help="With --days: play the past days in this process through the services "
                   "with a simulated clock, as fast as they go (no --server, no waiting). "
                   "Run it while every window is closed and nobody is in line.")
def simulate(server: str, speed: float, seed: int, visitors: int, open_hour: int,
             close_hour: int, windows: int | None, kiosks: int | None,
             hall_code: str | None, log_path: str | None, soak: bool, days: int | None,
             fast: bool) -> None:
    from datetime import datetime

    from hall.simulate.day import simulate as play_day

    if close_hour <= open_hour:
        raise click.BadParameter("must be after --open", param_hint="--close")
    if fast != (days is not None):
        raise click.UsageError("--days N and --fast go together: past days are filled "
                               "in-process (a live day is played through --server)")
    _end_with_parent()
    path = Path(log_path) if log_path else (
        _instance() / f"simulate-{datetime.now():%Y%m%d-%H%M%S}.jsonl")
    if fast:
        _fill_past(days, seed=seed, visitors=visitors, open_hour=open_hour,
                   close_hour=close_hour, log_path=path, windows=windows, hall_code=hall_code)
        return
    try:
        summary = play_day(_ctx(), server, seed=seed, speed=speed, visitors=visitors,
                           open_hour=open_hour, close_hour=close_hour, log_path=path,
                           windows=windows, hall_code=hall_code, soak=soak, kiosks=kiosks)
    except TimeoutError as exc:
        raise click.ClickException(str(exc)) from exc
    errors = summary.pop("errors")
    click.echo(json.dumps(summary, ensure_ascii=False))
    click.echo(f"log: {path}")
    if errors:
        for error in errors:
            click.echo(json.dumps(error, ensure_ascii=False), err=True)
        click.echo(f"{len(errors)} error(s)", err=True)
        if soak:
            sys.exit(1)


def _fill_past(days: int, **options) -> None:
    """`hall simulate --days N --fast`: one JSON line per filled day (its log's counts),
    the days left out and why; exit 1 on any error, or when no day was left to fill."""
    from dataclasses import replace

    from hall.config import load
    from hall.simulate.past import HallBusy, fill
    from hall.store.db import database_url

    # PostgreSQL: a past day's commands do not wait for the disk one by one (a fill cut
    # short leaves its day incomplete whatever was flushed); the person key is the
    # server's (appointments are booked with a phone, kept as its keyed hash)
    lazy = ({"connect_args": {"options": "-c synchronous_commit=off"}}
            if database_url().startswith("postgresql") else {})
    ctx = replace(_ctx(**lazy), secret=load()["PERSON_KEY"])
    try:
        summary = fill(ctx, days=days, **options)
    except HallBusy as busy:
        raise click.ClickException(
            f"the hall is not quiet (open windows: {busy.args[0]['open_windows'] or 'none'}; "
            f"tickets in line: {busy.args[0]['in_line']}): fill past days while every "
            "window is closed and nobody is in line") from None
    for day, figures in summary["days"].items():
        click.echo(json.dumps({"date": day, **figures}, ensure_ascii=False))
    for day in summary["skipped"]:
        click.echo(f"{day} already has tickets: left as it is (a day is never filled twice)",
                   err=True)
    if summary["days"]:
        click.echo("rolled up for reports: "
                   f"{', '.join(summary['rolled_up']) or 'none yet (not closed)'}")
        click.echo(f"log: {options['log_path']}")
    for error in summary["errors"]:
        click.echo(json.dumps(error, ensure_ascii=False), err=True)
    if summary["errors"]:
        click.echo(f"{len(summary['errors'])} error(s)", err=True)
    if summary["errors"] or not summary["days"]:
        sys.exit(1)


def main() -> None:  # pragma: no cover - kept for `python -m hall.cli`
    sys.exit(cli())


if __name__ == "__main__":
    os.environ.setdefault("HALL_ASYNC_MODE", "threading")
    main()
