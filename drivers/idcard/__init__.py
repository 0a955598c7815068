"""Resident ID card readers (二代身份证阅读器): the SAM module's serial protocol
(``protocol``), a reader over a device URL ``idcard+serial://…`` (``reader``) and an
emulated reader behind a pty (``emulator``). Imports nothing of hall/."""
