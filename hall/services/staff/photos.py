"""The 值班牌 photo of a staff member: uploaded in the console, checked by decoding it with
Pillow (never by its name or the type the browser claims), re-encoded as a fresh JPEG (so
nothing of the upload — EXIF and GPS data, trailing bytes, a script hidden in a comment —
survives), stored under ``INSTANCE/photos`` (outside every static folder), removable.

A photo's file name is random (``<32 hex>.jpg``) and changes with every upload: the window
screen and the rating pad show it at ``/photos/<name>`` (the name is the only key, like a
ticket's token), and a replaced or removed photo's address stops working at once.
"""
from __future__ import annotations

import io
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError
from sqlalchemy import select, update

from hall.domain.access import Actor
from hall.domain.errors import DomainError, Forbidden, NotFound
from hall.domain.i18n import N_
from hall.services.config import audit
from hall.services.context import Context, UnitOfWork, read, run
from hall.store.models import Staff

MAX_BYTES = 2 * 1024 * 1024  # the upload, before decoding
MAX_PIXELS = 24_000_000  # decoded size: a small file can still be a decompression bomb
FORMATS = ("JPEG", "PNG", "WEBP")
BOX = (480, 640)  # the largest photo kept (a 值班牌 is a small portrait)
NAME = re.compile(r"^[0-9a-f]{32}\.jpg$")


def folder_of(instance: Path | str) -> Path:
    return Path(instance) / "photos"


def _refuse(code: str, message: str, **params: Any) -> DomainError:
    return DomainError(code, message, "photo", **params)


@contextmanager
def _whole_files_only() -> Iterator[None]:
    """A truncated file is refused, not padded with grey: WeasyPrint (the bulletin's PDF)
    sets Pillow's process-wide ``LOAD_TRUNCATED_IMAGES`` on import, after which a cut-off
    PNG was stored as a photo. Nothing here yields to another greenlet while it is off."""
    before = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        yield
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = before


def normalise(data: bytes) -> bytes:
    """The upload as a fresh JPEG no larger than ``BOX``, or a refusal naming ``photo``."""
    if len(data) > MAX_BYTES:
        raise _refuse("photo_too_large", N_("The photo is larger than %(mb)s MB"),
                      mb=MAX_BYTES // (1024 * 1024))
    if not data:
        raise _refuse("invalid_photo", N_("Choose a photo (JPEG, PNG or WebP)"))
    try:
        with _whole_files_only(), Image.open(io.BytesIO(data)) as img:
            if img.format not in FORMATS:
                raise _refuse("invalid_photo", N_("Choose a photo (JPEG, PNG or WebP)"))
            if img.width * img.height > MAX_PIXELS:
                raise _refuse("photo_too_large", N_("The photo has too many pixels"))
            img.load()
            img = ImageOps.exif_transpose(img).convert("RGB")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise _refuse("invalid_photo", N_("Choose a photo (JPEG, PNG or WebP)")) from None
    img.thumbnail(BOX)
    out = io.BytesIO()
    img.save(out, "JPEG", quality=85, optimize=True)
    return out.getvalue()


def _require_admin(actor: Actor) -> None:
    if not (actor.is_staff and actor.role == "admin"):
        raise Forbidden(N_("Only administrators change staff accounts"), "authorization")


def _row(uow: UnitOfWork, actor: Actor, staff_id: int) -> Any:
    t = Staff.__table__
    row = uow.conn.execute(select(t.c.id, t.c.hall_id, t.c.photo).where(
        t.c.id == staff_id, t.c.hall_id == actor.hall_id).with_for_update()).first()
    if row is None:
        raise NotFound("staff", "staff_id")
    return row


def _set(ctx: Context, actor: Actor, staff_id: int, name: str | None, ip: str | None
         ) -> str | None:
    """Point the account at ``name`` (None: no photo); the old file's name."""

    def command(uow: UnitOfWork) -> str | None:
        row = _row(uow, actor, staff_id)
        t = Staff.__table__
        uow.conn.execute(update(t).where(t.c.id == row.id).values(photo=name))
        audit.record(uow, actor, "update", "staff", row.id, before={"photo": row.photo},
                     after={"photo": name}, hall_id=row.hall_id, ip=ip)
        return row.photo

    return run(ctx, command).value


def upload(ctx: Context, actor: Actor, staff_id: int, data: bytes, folder: Path, *,
           ip: str | None = None) -> dict[str, Any]:
    """Check, re-encode and keep the photo; the previous one is deleted."""
    _require_admin(actor)
    jpeg = normalise(data)
    folder.mkdir(parents=True, exist_ok=True, mode=0o750)
    name = f"{secrets.token_hex(16)}.jpg"
    partial = folder / f".{name}.part"
    partial.write_bytes(jpeg)
    partial.replace(folder / name)  # whole or not at all
    try:
        old = _set(ctx, actor, staff_id, name, ip)
    except BaseException:
        (folder / name).unlink(missing_ok=True)
        raise
    _delete(folder, old)
    return {"photo": name, "bytes": len(jpeg)}


def remove(ctx: Context, actor: Actor, staff_id: int, folder: Path, *,
           ip: str | None = None) -> dict[str, Any]:
    _require_admin(actor)
    _delete(folder, _set(ctx, actor, staff_id, None, ip))
    return {"photo": None}


def _delete(folder: Path, name: str | None) -> None:
    if name and NAME.match(name):
        (folder / name).unlink(missing_ok=True)


def photo_file(folder: Path, name: str) -> Path | None:
    """The file of a photo by its name, if it is one (nothing else of the folder)."""
    if not NAME.match(name):
        return None
    path = folder / name
    return path if path.is_file() else None


def photo_of(ctx: Context, actor: Actor, staff_id: int) -> str | None:
    """The photo's file name of an account of the actor's hall."""
    _require_admin(actor)

    def query(uow: UnitOfWork) -> str | None:
        t = Staff.__table__
        row = uow.conn.execute(select(t.c.photo).where(
            t.c.id == staff_id, t.c.hall_id == actor.hall_id)).first()
        if row is None:
            raise NotFound("staff", "staff_id")
        return row.photo

    return read(ctx, query)
