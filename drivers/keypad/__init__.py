"""FF 68 caller keypads (叫号器) and rating keypads (评价器): frames and the stream parser
(protocol.py), the shared serial line with reconnect (transport.py) and an emulator over a pty
(emulator.py). The dialect, its sources and the choices Hall made: README.md in this folder."""
