"""The 值班牌 photo over HTTP: uploaded in the console, decoded and re-encoded with Pillow,
stored under INSTANCE/photos (no static folder), served as image/jpeg, removable."""
from __future__ import annotations

import base64
import io
import os
from pathlib import Path

from PIL import Image

from tests.e2e.conftest import err

ROOT = Path(__file__).resolve().parents[2]


def _image(fmt: str = "PNG", size=(600, 800), color=(200, 30, 30), **save) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, fmt, **save)
    return out.getvalue()


def _put(client, staff_id: int, data: bytes):
    return client.put(f"/api/v1/admin/staff/{staff_id}/photo", headers=client.csrf,
                      json={"photo": base64.b64encode(data).decode()})


def test_photo_upload_refuses_non_images(app, admin_client, login_as, tmp_path):
    import weasyprint  # noqa: F401 - it lets Pillow load truncated files process-wide
    li = login_as("li", "staff", "李娜")
    # not an image: a text file, an HTML page named like a photo, bytes that are not base64
    err(_put(admin_client, li.staff_id, b"hello, not a picture"), 422, "invalid_photo", "photo")
    err(_put(admin_client, li.staff_id, b"<html><script>alert(1)</script></html>"), 422,
        "invalid_photo", "photo")
    r = admin_client.put(f"/api/v1/admin/staff/{li.staff_id}/photo", headers=admin_client.csrf,
                         json={"photo": "%%%not base64%%%"})
    err(r, 422, "invalid_photo", "photo")
    # an image format that is not a photo's (GIF), a truncated PNG, a decompression bomb
    err(_put(admin_client, li.staff_id, _image("GIF")), 422, "invalid_photo", "photo")
    err(_put(admin_client, li.staff_id, _image()[:200]), 422, "invalid_photo", "photo")
    err(_put(admin_client, li.staff_id, _image(size=(6000, 6000))), 422, "photo_too_large",
        "photo")
    # over 2 MB of bytes, whatever they are: refused as too large, naming the photo, both
    # when the body still fits the endpoint's limit and when it is cut off at the limit
    for extra, status, code in ((2 * 1024 * 1024, 422, "photo_too_large"),
                                (5 * 1024 * 1024, 413, "too_large")):
        big = _image("PNG", size=(1200, 1200)) + os.urandom(extra)
        err(_put(admin_client, li.staff_id, big), status, code, "photo")
    assert not (tmp_path / "photos").exists() or not any((tmp_path / "photos").iterdir())
    # staff may not upload anyone's photo
    assert _put(li, li.staff_id, _image()).status_code == 403

    # a real photo, with trailing bytes and EXIF: kept as a fresh JPEG, at most 480×640
    exif = Image.Exif()
    exif[0x010E] = "GPS and secrets"
    upload = _image("JPEG", size=(1200, 1600), exif=exif.tobytes()) + b"<script>x</script>"
    r = _put(admin_client, li.staff_id, upload)
    assert r.status_code == 200, r.json
    name = r.json["photo"]
    stored = tmp_path / "photos" / name
    assert stored.is_file() and not str(stored).startswith(str(ROOT))
    kept = stored.read_bytes()
    assert b"<script>" not in kept and b"GPS and secrets" not in kept
    with Image.open(io.BytesIO(kept)) as img:
        assert img.format == "JPEG" and img.size == (480, 640)
    accounts = {s["id"]: s for s in admin_client.get("/api/v1/admin/staff").json["staff"]}
    assert accounts[li.staff_id]["has_photo"] is True

    # served with the right headers, by its name only; the admin sees it too
    r = app.test_client().get(f"/photos/{name}")
    assert r.status_code == 200 and r.mimetype == "image/jpeg" and r.data == kept
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'none'" in r.headers["Content-Security-Policy"]
    assert admin_client.get(f"/api/v1/admin/staff/{li.staff_id}/photo").data == kept
    assert app.test_client().get("/photos/..%2Fsecret_key").status_code == 404

    # a new photo replaces the file; removing it deletes the file and its address
    second = _put(admin_client, li.staff_id, _image("PNG")).json["photo"]
    assert second != name and not stored.exists()
    r = admin_client.delete(f"/api/v1/admin/staff/{li.staff_id}/photo", headers=admin_client.csrf)
    assert r.status_code == 200 and r.json["photo"] is None
    assert app.test_client().get(f"/photos/{second}").status_code == 404
    assert not any((tmp_path / "photos").iterdir())
