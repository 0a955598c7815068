"""Configuring a hall: its structure (departments, services, counters), settings, staff
accounts and device tokens, the audit log, and the layout file (``layout/``)."""
