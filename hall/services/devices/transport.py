"""Where each device is reached, as admins set it on /admin/devices (issue 17 §1).

A device's ``url`` is its transport: a kiosk's or a window's printer (``escpos+…``), the LED
bus of a sign device (``led+…?address=N``), a caller-keypad bus (``keypad+…``) or a
rating-keypad bus (``pad+…``). The URL is checked by the parser the drivers use, which the
caller passes in as ``check`` (the core imports no driver; the admin room registers it as
``app.extensions["hall.device_url"]``): a bad one is refused naming ``url`` with the form
expected. Each change is audited and emitted as ``config.changed`` (what ``devices``); the
server reads a printer's URL at each print, and a sign's or keypad's bridge hears the event,
asks ``GET /devices/me`` (``url``) again and moves to the new address, so a change applies
without a restart.

The "test" button (``test_device``) proves an address works: a printer the server drives
prints a test slip through the same driver path as a ticket's paper (the printer port,
kiosk/printing.py) and the result comes back at once; any other device (a printer on an
agent, a sign, a keypad bus) is sent ``device.test`` in its own room, and its bridge shows
the test text, prints the slip or beeps, then reports the outcome as its health's ``test``
(``{"ok", "error", "at"}``), which reaches the page as ``device.health``.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from hall.domain.access import Actor
from hall.domain.errors import DomainError
from hall.domain.i18n import N_
from hall.services import repo
from hall.services.config import audit
from hall.services.context import Context, Result, UnitOfWork, read, run
from hall.services.devices import health as devices
from hall.services.devices.printing import PRINTER_KINDS, Printer, printable
from hall.store.models import Device

# the protocol each kind of device is reached by, and the form the refusal quotes
PROTOCOL = {"kiosk": "escpos", "printer": "escpos", "agent": "escpos", "sign": "led",
            "keypad": "keypad", "pad": "pad"}
FORMS = {"escpos": "escpos+tcp://HOST:9100, escpos+usb://VID:PID, escpos+serial:///dev/ttyUSB0",
         "led": "led+tcp://HOST:PORT?address=N, led+serial:///dev/ttyUSB1?address=N",
         "keypad": "keypad+serial:///dev/ttyS1, keypad+tcp://HOST:PORT",
         "pad": "pad+serial:///dev/ttyS2, pad+tcp://HOST:PORT"}
Check = Callable[[str], Any]  # raises ValueError (with the form expected) on a bad URL


def set_url(ctx: Context, *, device_id: int, url: str | None, actor: Actor,
            check: Check | None, ip: str | None = None) -> Result:
    """Set (or, with None or '', clear) a device's transport URL."""
    url = (url or "").strip() or None

    def command(uow: UnitOfWork) -> dict[str, Any]:
        d = Device.__table__
        row = uow.conn.execute(select(d.c.id, d.c.hall_id, d.c.kind, d.c.name, d.c.url,
                                      d.c.revoked_at).where(d.c.id == device_id)).first()
        if row is None or row.revoked_at is not None or (
                actor.is_staff and row.hall_id != actor.hall_id):
            raise DomainError("device_not_found", N_("No such device"), "device")
        protocol = PROTOCOL.get(row.kind)
        if protocol is None:
            raise DomainError("device_has_no_url",
                              N_("This kind of device is not reached by an address"), "url")
        if url is not None:
            _check(url, protocol, check)
        if url != row.url:
            uow.conn.execute(update(d).where(d.c.id == device_id).values(url=url))
            audit.record(uow, actor, "update", "device", device_id, hall_id=row.hall_id,
                         ip=ip, before={"url": row.url}, after={"url": url})
            uow.emit("config.changed", row.hall_id, what="devices", device_id=device_id)
        return {"id": device_id, "kind": row.kind, "name": row.name, "url": url}

    return run(ctx, command)


def check_url(url: str, kind: str, check: Check | None) -> None:
    """Refuse a bad address for a device of ``kind`` (DomainError naming ``url``, quoting
    the form expected): the one check of the console, the API and a layout's [[devices]]."""
    protocol = PROTOCOL.get(kind)
    if protocol is None:
        raise DomainError("device_has_no_url",
                          N_("This kind of device is not reached by an address"), "url")
    _check(url, protocol, check)


def _check(url: str, protocol: str, check: Check | None) -> None:
    if not url.startswith(f"{protocol}+"):
        raise DomainError("bad_device_url", N_("Expected an address of the form %(form)s"),
                          "url", form=FORMS[protocol])
    if check is None:
        raise DomainError("bad_device_url", N_("Device addresses cannot be checked here"),
                          "url")
    try:
        check(url)
    except ValueError as exc:
        raise DomainError("bad_device_url", N_("%(reason)s (expected: %(form)s)"), "url",
                          reason=str(exc), form=FORMS[protocol]) from None


def saved_url(ctx: Context, device_id: int) -> str | None:
    """The address saved for a device in the console (None: its bridge's own table)."""
    return read(ctx, lambda uow: uow.conn.execute(
        select(Device.url).where(Device.id == device_id)).scalar())


TEST_TITLE = N_("Test slip")
TEST_TEXT = N_("Device test")  # what a sign shows (GB2312: 设备测试)
TEST_LINE = N_("If you can read this, the printer works.")
MSG_TEST_OK = N_("Test passed")
MSG_TEST_SENT = N_("Test sent: the device answers in a moment")
MSG_TEST_FAILED = N_("Test failed")
Translate = Callable[[str], str]


def test_device(ctx: Context, *, device_id: int, actor: Actor, printer: Printer | None,
                translate: Translate = lambda s: s, timeout: float | None = None
                ) -> dict[str, Any]:
    """Test a device where it is reached: ``state`` ok | failed (with the driver's
    ``error``, translated) for a printer the server drives, ``sent`` for one an agent's
    bridge drives (its answer arrives as ``device.health``)."""
    device = read(ctx, lambda uow: _testable(uow, device_id, actor))
    if device.kind in PRINTER_KINDS and device.url:
        if printer is None:
            raise DomainError("no_printer", N_("This server prints nothing itself"), "device")
        content = _slip(device, translate)
        done = printer.print_slip(device.url, content, timeout=(
            printer.DEFAULT_TIMEOUT if timeout is None else timeout))
        ok = bool(done["printed"])
        error = None if ok else translate((done["reasons"] or [MSG_TEST_FAILED])[0])
        health = {k: v for k, v in done["status"].items() if k not in ("reasons", "error")}
        result = {"ok": ok, "error": error}
        view = run(ctx, lambda uow: devices.record(
            uow, device.id, {**health, "test": {**result, "at": uow.now.isoformat()}})).value
        return {"id": device.id, "state": "ok" if ok else "failed", "error": error,
                "message": translate(MSG_TEST_OK) if ok else error, "health": view["health"]}

    def announce(uow: UnitOfWork) -> dict[str, Any]:
        uow.emit("device.test", device.hall_id, device_id=device.id, kind=device.kind,
                 counter_id=device.counter_id,
                 text=translate(TEST_TEXT), slip=_slip(device, translate))
        return {"id": device.id, "state": "sent", "error": None,
                "message": translate(MSG_TEST_SENT)}

    return run(ctx, announce).value


def _testable(uow: UnitOfWork, device_id: int, actor: Actor) -> Any:
    d = Device.__table__
    row = uow.conn.execute(select(d.c.id, d.c.hall_id, d.c.kind, d.c.name, d.c.url,
                                  d.c.counter_id, d.c.revoked_at)
                           .where(d.c.id == device_id)).first()
    if row is None or row.revoked_at is not None or (
            actor.is_staff and row.hall_id != actor.hall_id):
        raise DomainError("device_not_found", N_("No such device"), "device")
    if row.kind not in PROTOCOL:
        raise DomainError("device_has_no_url",
                          N_("This kind of device is not reached by an address"), "device")
    hall = repo.hall_config(uow, row.hall_id)
    return _Testable(row.id, row.hall_id, row.kind, row.name, row.url, row.counter_id,
                     hall.row.name, hall.settings.local(uow.now))


@dataclass(frozen=True)
class _Testable:
    id: int
    hall_id: int
    kind: str
    name: str | None
    url: str | None
    counter_id: int | None
    hall: str
    now: datetime


def _slip(device: Any, translate: Translate) -> dict[str, Any]:
    """The test slip as a document (drivers.escpos.document.DocumentContent as JSON); the
    hall's and the device's names as text only (``printable``), like every other paper."""
    return printable({
        "kind": "test", "hall_name": device.hall, "title": translate(TEST_TITLE),
        "lines": [{"kind": "text", "label": "", "text": device.name or f"#{device.id}"},
                  {"kind": "text", "label": "", "text": translate(TEST_LINE)},
                  {"kind": "note", "label": "", "text": f"{device.now:%Y-%m-%d %H:%M:%S}"}],
        "qr_url": "", "qr_caption": ""})
