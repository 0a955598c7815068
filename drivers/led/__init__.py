"""Onbon (仰邦) BX-5K/6K LED sign controllers: the protocol (protocol.py), serial and TCP
transports (transport.py), window and hall signs (sign.py) and an emulator (emulator.py).
The byte layout, its source and what is verified or assumed: README.md in this folder."""
from drivers.led.sign import HallStrip, SignError, WindowSign, open_sign
from drivers.led.transport import LedTimeout, LedTransport, open_transport

__all__ = ["HallStrip", "LedTimeout", "LedTransport", "SignError", "WindowSign", "open_sign",
           "open_transport"]
