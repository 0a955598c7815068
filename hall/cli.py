"""The ``hall`` command: run, demo, seed, db, user, device, report (DESIGN.md §3)."""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

DEMO_LAYOUT = Path(__file__).parent / "seed" / "demo_hall.toml"


def _ctx():
    from hall.services.context import Context
    from hall.store.db import make_engine
    from hall.store.migrate import upgrade

    upgrade()
    engine = make_engine()
    click.get_current_context().call_on_close(engine.dispose)
    return Context(engine=engine)


@click.group(help="Hall: queue and kiosk management for public service halls.")
def cli() -> None:
    pass


@cli.command(help="Serve the hall (HTTP + Socket.IO).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def run(host: str, port: int) -> None:
    _serve(host, port)


def _serve(host: str, port: int) -> None:
    from hall.app import create_app
    from hall.extensions import socketio
    from hall.serve import serve

    app = create_app({"BACKGROUND_CHECKPOINT": True})
    click.echo(f"Hall serving on http://{host}:{port}/ ({app.config['ASYNC_MODE']}); "
               "Ctrl-C stops it.")
    serve(app, socketio, host, port)


@cli.command(help="Seed the demo hall (if empty), print sign-ins and URLs, and serve it.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--keep-hours", is_flag=True,
              help="Honour services' opening hours (by default the demo is open around the clock).")
def demo(host: str, port: int, keep_hours: bool) -> None:
    from hall.services.setup import load_layout, seed

    ctx = _ctx()
    first = _hall_count(ctx) == 0
    seed(ctx, load_layout(DEMO_LAYOUT), ignore_hours=not keep_hours)
    devices = _demo_devices(ctx, first)
    base = f"http://{host}:{port}"
    click.echo("\n".join([
        f"Hall screen  {base}/display/hall/{devices['screen']['id']}"
        f"?token={devices['screen']['token']}",
        f"Window 1     {base}/display/counter/1?token={devices['screen']['token']}",
        f"Kiosk token  {devices['kiosk']['token']}  (POST {base}/api/v1/tickets)",
        f"Phone page   {base}/t/<ticket token>   (the token in a ticket's JSON)",
        f"Queues       {base}/api/v1/queues",
        f"API          {base}/api/v1/openapi.json",
        f"Sign in      POST {base}/api/v1/auth/login",
    ]))
    _serve(host, port)


def _demo_devices(ctx, first: bool) -> dict:
    """Accounts and devices of the demo hall, created once. Passwords are printed only
    then; the demo's device tokens are kept in instance/demo-devices.json (0600) so the
    printed URLs stay the same from one `make run` to the next."""
    from hall.services import accounts

    path = Path(os.environ.get("HALL_INSTANCE", "instance")) / "demo-devices.json"
    if first:
        admin = accounts.add_user(ctx, login="admin", name="管理员", role="admin").value
        click.echo(f"admin password (shown once): {admin['password']}")
        user = accounts.add_user(ctx, login="zhangwei", name="张伟").value
        click.echo(f"staff zhangwei password (shown once): {user['password']}")
    if first or not path.exists():
        devices = {kind: accounts.add_device(ctx, kind=kind, name=name).value
                   for kind, name in (("kiosk", "大厅1号取号机"), ("screen", "大厅主屏"))}
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(devices, fh)
    return json.loads(path.read_text())


def _hall_count(ctx) -> int:
    from sqlalchemy import func, select

    from hall.store.models import Hall
    with ctx.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(Hall)).scalar_one()


@cli.command("seed", help="Load (or update) a hall layout from a TOML file.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--ignore-hours", is_flag=True, help="Drop opening hours (demos, tests).")
def seed_cmd(file: str, ignore_hours: bool) -> None:
    from hall.services.setup import load_layout, seed

    try:
        layout = load_layout(file)
    except (ValueError, KeyError) as exc:
        raise click.ClickException(f"{file}: {exc}") from exc
    click.echo(json.dumps(seed(_ctx(), layout, ignore_hours=ignore_hours).value))


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


@user.command("add", help="Create (or reset) a staff account; prints a one-time password.")
@click.argument("login")
@click.option("--name", default=None, help="Display name (defaults to LOGIN).")
@click.option("--role", type=click.Choice(["staff", "supervisor", "admin"]), default="staff")
@click.option("--hall", "hall_code", default=None, help="Hall code (default: the first hall).")
def user_add(login: str, name: str | None, role: str, hall_code: str | None) -> None:
    from hall.domain.errors import DomainError
    from hall.services import accounts

    try:
        u = accounts.add_user(_ctx(), login=login, name=name or login, role=role,
                              hall_code=hall_code).value
    except DomainError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{u['login']} ({u['role']}) password: {u['password']}")


@cli.group(help="Devices: kiosks, screens, keypads, pads, agents.")
def device() -> None:
    pass


@device.command("add", help="Register a device; prints its token (shown once).")
@click.option("--kind", required=True,
              type=click.Choice(["kiosk", "screen", "sign", "keypad", "pad", "agent"]))
@click.option("--counter", "counter_number", type=int, default=None,
              help="Window number (keypads and pads).")
@click.option("--name", default="")
@click.option("--hall", "hall_code", default=None)
def device_add(kind: str, counter_number: int | None, name: str, hall_code: str | None) -> None:
    from hall.domain.errors import DomainError
    from hall.services import accounts

    try:
        d = accounts.add_device(_ctx(), kind=kind, name=name, counter_number=counter_number,
                                hall_code=hall_code).value
    except DomainError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(d["token"])


@cli.command(help="Print a day's figures per service (日考核).")
@click.option("--day", default=None, help="YYYY-MM-DD in the hall's time zone (default today).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def report(day: str | None, fmt: str) -> None:
    from hall.services import reports

    data = reports.day_report(_ctx(), day)
    if fmt == "json":
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    click.echo(reports.as_text(data))


def main() -> None:  # pragma: no cover - kept for `python -m hall.cli`
    sys.exit(cli())


if __name__ == "__main__":
    os.environ.setdefault("HALL_ASYNC_MODE", "threading")
    main()
