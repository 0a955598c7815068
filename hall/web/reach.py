"""Whether phones can reach the QR codes' address, said at start-up (`make run`, `hall run`).

A ticket's QR code points at ``hall.web.pages.base_url``: the hall's ``public_url``
setting, else ``HALL_PUBLIC_URL``, else the address the kiosk used — 127.0.0.1 on a
one-box demo, which no phone reaches. ``advice`` says which address phones will get and, when
that is a loopback one, this machine's LAN addresses to use instead.
"""
from __future__ import annotations

import ipaddress
import os
import socket
import struct
from urllib.parse import urlsplit

SIOCGIFADDR = 0x8915  # Linux: an interface's IPv4 address


def lan_addresses() -> list[str]:
    """This machine's IPv4 addresses other than loopback (Linux; [] elsewhere). Asks the
    kernel about each interface: nothing is sent on the network."""
    try:
        import fcntl

        names = [name for _, name in socket.if_nameindex()]
    except (ImportError, OSError):
        return []
    found = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for name in names:
            try:
                packed = fcntl.ioctl(s.fileno(), SIOCGIFADDR,
                                     struct.pack("256s", name.encode()[:15]))
            except OSError:  # no IPv4 address on it
                continue
            address = socket.inet_ntoa(packed[20:24])
            if not ipaddress.ip_address(address).is_loopback and address not in found:
                found.append(address)
    return found


def is_loopback(url_or_host: str) -> bool:
    host = urlsplit(url_or_host).hostname if "://" in url_or_host else url_or_host
    if host in (None, "", "localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def advice(host: str, port: int, public_url: str | None) -> list[str]:
    """Lines for the console: where the QR codes point, and a warning with the LAN address
    to use when phones could not reach it."""
    public = (public_url or os.environ.get("HALL_PUBLIC_URL") or "").rstrip("/")
    shown_host = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    target = public or f"http://{shown_host}:{port}"
    if not is_loopback(target):
        return [f"QR codes     {target}/t/… (phones reach the hall there)"]
    lan = lan_addresses()
    use = f"http://{lan[0]}:{port}" if lan else f"http://<this machine's LAN address>:{port}"
    listen = "" if host in ("0.0.0.0", "::") else "HOST=0.0.0.0 "
    return [f"warning: QR codes point at {target}, a loopback address no phone can reach.",
            f"         This machine on the LAN: {', '.join(lan) or 'no address found'}. "
            f"Run `make run {listen}HALL_PUBLIC_URL={use}`",
            "         (or set the address on /admin/settings) so phones open their tickets."]
