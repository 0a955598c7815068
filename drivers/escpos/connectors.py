"""python-escpos connectors, one per transport of an ``escpos+…`` device URL.

URL format (see drivers/urls.py)::

    escpos+tcp://HOST:9100?timeout=5                Network (raw TCP, "JetDirect" port)
    escpos+serial:///dev/ttyUSB0?baudrate=19200     Serial (also a pty path)
    escpos+serial:socket://127.0.0.1:7000           any pyserial URL (loop://, socket://, rfc2217://)
    escpos+usb://0416:5011?in_ep=0x81&out_ep=0x03   Usb (hex VID:PID)
    escpos+file:///dev/usb/lp0                      File (a device node or a file to collect bytes)
    escpos+cups://QUEUE                             CupsPrinter (the queue must be a raw queue)

Each python-escpos connector is looked up at call time and asked ``is_usable()`` (Usb needs
pyusb, CupsPrinter pycups, Serial pyserial), so a missing optional library is reported as
"this connector cannot be used here", not as an unknown transport.
"""
from __future__ import annotations

import importlib
import socket
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from escpos.escpos import Escpos
from escpos.exceptions import DeviceNotFoundError

from drivers.urls import PROTOCOL_OPTIONS, DeviceURL, DeviceURLError

CLASS = {"tcp": "Network", "serial": "Serial", "usb": "Usb", "file": "File",
         "cups": "CupsPrinter"}
NEEDS = {"Serial": "pyserial", "Usb": "pyusb and libusb", "CupsPrinter": "pycups and CUPS"}


class ConnectorUnusable(RuntimeError):
    pass


def connector(transport: str) -> type[Escpos]:
    name = CLASS[transport]
    try:
        cls = getattr(importlib.import_module("escpos.printer"), name)
    except (ImportError, AttributeError) as exc:
        raise ConnectorUnusable(f"python-escpos has no usable {name} connector: {exc}") from exc
    if not cls.is_usable():
        raise ConnectorUnusable(f"printing over {transport} needs {NEEDS.get(name, name)}, "
                                f"which is not installed")
    return cls


def escpos_options(url: DeviceURL) -> dict[str, str]:
    """profile/paper/chinese, also when written inside a pyserial URL's own query string."""
    options = {k: v for k, v in url.options.items() if k in PROTOCOL_OPTIONS["escpos"]}
    if url.transport == "serial" and "://" in url.target:
        options.update((k, v) for k, v in parse_qsl(urlsplit(url.target).query)
                       if k in PROTOCOL_OPTIONS["escpos"])
    return options


def _pyserial_url(target: str) -> str:
    """The pyserial URL without our options, which pyserial would refuse as unknown."""
    parts = urlsplit(target)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k not in PROTOCOL_OPTIONS["escpos"]]
    return urlunsplit(parts._replace(query=urlencode(query)))


def _number(url: DeviceURL, key: str, default: float) -> float:
    try:
        return float(url.options.get(key, default))
    except ValueError as exc:
        raise DeviceURLError(f"{url.raw}: {key} must be a number") from exc


def connect(url: DeviceURL, timeout: float) -> Escpos:
    """An opened python-escpos printer for ``url``; raises OSError or DeviceNotFoundError
    when the printer is not there."""
    cls = connector(url.transport)
    if url.transport == "tcp":
        return _network(cls, url, timeout)
    if url.transport == "serial":
        return _serial(cls, url, timeout)
    if url.transport == "usb":
        printer = _usb(cls, url, timeout)
    elif url.transport == "file":
        printer = cls(devfile=url.target)
    else:
        printer = cls(printer_name=url.target)
    printer.open()
    return printer


def _network(cls: type[Escpos], url: DeviceURL, timeout: float) -> Escpos:
    host, port = url.host_port
    wait = _number(url, "timeout", timeout)
    printer = cls(host=host, port=port, timeout=wait)
    # Network.open() leaves its socket unclosed when the connect fails; connect here instead
    sock = socket.create_connection((host, port), timeout=wait)
    # a 3-byte status query right after the ticket would otherwise wait for the ACK (Nagle)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    printer.device = sock
    return printer


def _usb(cls: type[Escpos], url: DeviceURL, timeout: float) -> Escpos:
    vid, _, pid = url.target.partition(":")
    try:
        ids = int(vid, 16), int(pid, 16)
        eps = {k: int(url.options[k], 0) for k in ("in_ep", "out_ep") if k in url.options}
    except ValueError as exc:
        raise DeviceURLError(f"{url.raw}: expected escpos+usb://VID:PID in hex, "
                             f"endpoints like in_ep=0x81") from exc
    return cls(*ids, timeout=int(_number(url, "timeout", timeout) * 1000), **eps)


def _serial(cls: type[Escpos], url: DeviceURL, timeout: float) -> Escpos:
    # python-escpos's Serial.open() calls serial.Serial(port=…), which knows no pyserial URLs;
    # open the port with serial_for_url ourselves and hand it over as the printer's device.
    import serial

    o = url.options
    settings = {"baudrate": int(o.get("baudrate", 9600)), "bytesize": int(o.get("bytesize", 8)),
                "parity": o.get("parity", "N").upper()[:1],
                "stopbits": _stopbits(o.get("stopbits", "1")),
                "timeout": _number(url, "timeout", timeout)}
    target = _pyserial_url(url.target) if "://" in url.target else url.target
    printer = cls(devfile=target, **settings)
    try:
        printer.device = serial.serial_for_url(target, **settings)
    except (ValueError, serial.SerialException) as exc:
        printer.device = None  # so that close() and __del__ leave it alone
        raise DeviceNotFoundError(f"cannot open serial printer {target}: {exc}") from exc
    return printer


def _stopbits(value: str) -> float | int:
    number = float(value)
    return int(number) if number.is_integer() else number
