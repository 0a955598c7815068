"""The server reading an ID card laid on a kiosk's reader (issue 21), as it drives the
kiosk's printer: the reader hangs off the server's machine, named by URL in
``HALL_IDCARD_READERS`` ("7=idcard+serial:///dev/ttyUSB2;8=…", kiosk device id = URL;
config ``IDCARD_READERS``). The kiosk page asks ``POST /kiosk/<device>/card`` every second
or so; each ask opens the reader, looks for a card, reads it if there is one and closes it.
The card's text goes no further than this request: the view seals what the ticket needs
(hall/services/queue/idcard.py ``seal``) and nothing of it is logged.
"""
from __future__ import annotations

import logging
from typing import Any

from serial import SerialException

from drivers.idcard import protocol as p
from drivers.idcard.reader import IdCardReader, ReaderError
from drivers.urls import DeviceURLError
from hall.domain.errors import DomainError
from hall.domain.i18n import N_
from hall.services.context import Context
from hall.services.devices import health as devices
from hall.services.queue import idcard
from kiosk.printing import run_io

log = logging.getLogger(__name__)

MSG_READER = N_("The ID card reader is not working; type the ID number instead")
MSG_CARD = N_("The card could not be read; lay it on the reader again")


def readers(value: str) -> dict[int, str]:
    """``"7=idcard+serial:///dev/ttyUSB2;8=…"`` → ``{7: "idcard+serial:///dev/ttyUSB2"}``."""
    table: dict[int, str] = {}
    for part in filter(None, (s.strip() for s in value.split(";"))):
        device, sep, url = part.partition("=")
        if not sep or not device.strip().isdigit() or not url.strip():
            raise ValueError(f"HALL_IDCARD_READERS: expected 7=idcard+serial:///dev/ttyUSB2, "
                             f"got {part!r}")
        table[int(device)] = url.strip()
    return table


def look(ctx: Context, *, device_id: int, hall_id: int, url: str) -> dict[str, Any]:
    """The kiosk's ask: the card on its reader, sealed (hall/services/queue/idcard.py), or
    none, or a problem (``message``, a msgid) that is logged and counted in the kiosk's
    health. A card whose ID number fails its check digit raises (422 naming id_number)."""
    card, problem, kind = read(url)
    if card is None:
        if problem is not None:
            devices.count_problem(ctx, device_id=device_id, kind=kind or "card", error=problem)
        return {"reader": True, "card": None, "message": problem}
    try:
        return {"reader": True, **idcard.seal(ctx, hall_id=hall_id, id_number=card.id_number,
                                              name=card.name, sex=card.sex)}
    except DomainError as exc:  # the code only: the message must not carry the number
        log.info("ID card refused at kiosk %s: %s", device_id, exc.code)
        devices.count_problem(ctx, device_id=device_id, kind=exc.code, error=exc.message)
        raise


def read(url: str) -> tuple[p.CardText | None, str | None, str | None]:
    """(the card on the reader or None, a problem's msgid or None, and its kind for the
    count: ``reader``, ``unread``, or the frame's ``checksum`` / ``truncated`` …)."""
    return run_io(_read, url, url)


def _read(url: str) -> tuple[p.CardText | None, str | None, str | None]:
    try:
        reader = IdCardReader(url)
    except (DeviceURLError, SerialException, OSError) as exc:
        log.warning("ID card reader %s cannot be opened: %s", url, exc)
        return None, MSG_READER, "reader"
    try:
        return reader.read_card(), None, None
    except ReaderError as exc:
        if exc.step in ("find", "select"):
            return None, None, None  # no card on the reader: the usual answer
        log.info("ID card not read (%s)", exc.step)
        return None, MSG_CARD, "unread"
    except p.FrameError as exc:  # a bad checksum, a truncated block: says nothing of the card
        log.info("ID card frame refused: %s", exc)
        return None, MSG_CARD, exc.kind
    except (SerialException, OSError) as exc:
        log.warning("ID card reader %s failed: %s", url, exc)
        return None, MSG_READER, "reader"
    finally:
        reader.close()
