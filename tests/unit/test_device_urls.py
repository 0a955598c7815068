"""Device URLs: one parser, every documented form, and clear refusals."""
from __future__ import annotations

import pytest

from drivers.urls import DeviceURLError, parse


@pytest.mark.parametrize("url, protocol, transport, target, options", [
    ("escpos+tcp://192.168.1.50:9100", "escpos", "tcp", "192.168.1.50:9100", {}),
    ("escpos+serial:///dev/ttyUSB0?baudrate=19200", "escpos", "serial", "/dev/ttyUSB0",
     {"baudrate": "19200"}),
    ("escpos+usb://0416:5011", "escpos", "usb", "0416:5011", {}),
    ("escpos+file:///tmp/out.bin", "escpos", "file", "/tmp/out.bin", {}),
    ("escpos+cups://XP58", "escpos", "cups", "XP58", {}),
    ("led+serial:///dev/ttyUSB1?address=01", "led", "serial", "/dev/ttyUSB1",
     {"address": "01"}),
    ("led+tcp://10.0.0.9:5005?address=05", "led", "tcp", "10.0.0.9:5005", {"address": "05"}),
    ("keypad+serial:///dev/ttyS1", "keypad", "serial", "/dev/ttyS1", {}),
    ("pad+serial:///dev/pts/7", "pad", "serial", "/dev/pts/7", {}),
    ("keypad+serial:loop://", "keypad", "serial", "loop://", {}),
    ("keypad+serial:socket://127.0.0.1:7000", "keypad", "serial", "socket://127.0.0.1:7000", {}),
    ("idcard+serial:///dev/ttyUSB2?baudrate=115200&timeout=2", "idcard", "serial",
     "/dev/ttyUSB2", {"baudrate": "115200", "timeout": "2"}),
])
def test_documented_forms_parse(url, protocol, transport, target, options):
    d = parse(url)
    assert (d.protocol, d.transport, d.target, d.options) == (protocol, transport, target,
                                                              options)


def test_tcp_host_and_port():
    assert parse("escpos+tcp://printer.local:9100").host_port == ("printer.local", 9100)


@pytest.mark.parametrize("url, says", [
    ("escpos://x", "expected <protocol>+<transport>"),
    ("fax+tcp://x:1", "unknown device protocol 'fax'"),
    ("led+usb://1:2", "not 'usb'"),
    ("escpos+tcp://h:9100?baud=9600", "unknown option(s) baud"),
    ("escpos+file://", "says nothing about where"),
    ("idcard+tcp://10.0.0.9:5005", "idcard devices connect by serial, not 'tcp'"),
    ("idcard+serial:///dev/ttyUSB2?photo=1", "unknown option(s) photo"),
])
def test_bad_urls_are_refused_with_the_expected_form(url, says):
    with pytest.raises(DeviceURLError, match=None) as err:
        parse(url)
    assert says in str(err.value)
