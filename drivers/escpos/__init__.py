"""ESC/POS ticket printers: layout (ticket.py), printing and status (printer.py, status.py),
and an emulator that speaks the same bytes over TCP or a pty (emulator.py). See README.md."""
