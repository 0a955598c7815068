"""One parser for device URLs, the pyserial way: the scheme picks the protocol and the
transport, the rest names the port and its options.

URL format::

    <protocol>+<transport>://<where>?<options>

    escpos+tcp://HOST:9100            escpos+serial:///dev/ttyUSB0?baudrate=19200
    escpos+usb://VID:PID              escpos+file:///path/to/out.bin
    escpos+cups://QUEUE               led+serial:///dev/ttyUSB1?address=01
    led+tcp://HOST:PORT?address=05    keypad+serial:///dev/ttyS1      pad+serial:///dev/ttyS2

A serial or file "where" is a path: ``serial:///dev/ttyS1`` is absolute, and
``serial://instance/keypads`` (or ``serial:instance/keypads``) is relative to the working
directory, as a relative ``HALL_INSTANCE`` makes it. It may also be any pyserial URL
(``loop://``, ``socket://host:port``) written after ``serial:`` as ``keypad+serial:loop://``
or ``keypad+serial:socket://127.0.0.1:7000``, or a pty path. Unknown protocols, transports
and options are refused, quoting the form expected, so a typo in a hall's config fails
loudly at start-up.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

PROTOCOLS: dict[str, frozenset[str]] = {
    "escpos": frozenset({"tcp", "serial", "usb", "file", "cups"}),
    "led": frozenset({"tcp", "serial"}),
    "keypad": frozenset({"tcp", "serial"}),
    "pad": frozenset({"tcp", "serial"}),
    "idcard": frozenset({"serial"}),  # resident ID card reader (SAM module), drivers/idcard
}
# Options each transport accepts (values are strings; drivers convert them).
SERIAL_OPTIONS = frozenset({"baudrate", "bytesize", "parity", "stopbits", "timeout"})
OPTIONS: dict[str, frozenset[str]] = {
    "tcp": frozenset({"timeout"}),
    "serial": SERIAL_OPTIONS,
    "usb": frozenset({"timeout", "in_ep", "out_ep"}),
    "file": frozenset(),
    "cups": frozenset(),
}
# Protocol-level options, valid with any transport of that protocol.
PROTOCOL_OPTIONS: dict[str, frozenset[str]] = {
    "escpos": frozenset({"profile", "paper", "chinese", "charset"}),
    "led": frozenset({"address", "width", "height", "kind", "model"}),
    "keypad": frozenset({"address"}),
    "pad": frozenset({"address"}),
    "idcard": frozenset(),
}


class DeviceURLError(ValueError):
    pass


@dataclass(frozen=True)
class DeviceURL:
    protocol: str  # escpos | led | keypad | pad
    transport: str  # tcp | serial | usb | file | cups
    target: str  # host:port, a device path, a pyserial URL, VID:PID, a file, a CUPS queue
    options: dict[str, str] = field(default_factory=dict)
    raw: str = ""

    @property
    def host_port(self) -> tuple[str, int]:
        host, _, port = self.target.rpartition(":")
        if not host or not port.isdigit():
            raise DeviceURLError(f"{self.raw}: expected {self.protocol}+tcp://HOST:PORT")
        return host, int(port)


def parse(url: str) -> DeviceURL:
    scheme, sep, rest = url.partition(":")
    protocol, plus, transport = scheme.partition("+")
    if not sep or not plus:
        raise DeviceURLError(f"{url!r}: expected <protocol>+<transport>://…, "
                             f"e.g. escpos+tcp://192.168.1.50:9100")
    if protocol not in PROTOCOLS:
        raise DeviceURLError(f"{url!r}: unknown device protocol {protocol!r} "
                             f"(known: {', '.join(sorted(PROTOCOLS))})")
    if transport not in PROTOCOLS[protocol]:
        raise DeviceURLError(f"{url!r}: {protocol} devices connect by "
                             f"{', '.join(sorted(PROTOCOLS[protocol]))}, not {transport!r}")
    target, query = _split(rest, transport, url)
    options = {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()}
    allowed = OPTIONS[transport] | PROTOCOL_OPTIONS[protocol]
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise DeviceURLError(f"{url!r}: unknown option(s) {', '.join(unknown)}; "
                             f"allowed: {', '.join(sorted(allowed)) or 'none'}")
    if not target:
        raise DeviceURLError(f"{url!r}: says nothing about where the device is")
    return DeviceURL(protocol, transport, target, options, url)


def _split(rest: str, transport: str, url: str) -> tuple[str, str]:
    if transport == "serial" and not rest.startswith("//"):
        # a pyserial URL after "serial:" — keep its own query string for pyserial
        inner = urlsplit(rest)
        return rest, "" if inner.scheme else inner.query
    parts = urlsplit("x:" + rest)
    if transport in ("tcp", "usb", "cups"):
        return parts.netloc, parts.query
    # a serial device or a file has no host: ``serial:///dev/ttyS1`` names /dev/ttyS1 and
    # ``serial://instance/keypads`` the relative path instance/keypads (not a host)
    return parts.netloc + parts.path, parts.query
