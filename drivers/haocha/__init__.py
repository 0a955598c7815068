"""The province's 好差评 (rating) data interface: the record's fields and an emulator of the
receiving endpoint (``emulator``). Imports nothing of hall/."""
