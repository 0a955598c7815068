"""The service layer: one transaction per command, each returning its domain events.

Every command takes a ``Context`` (engine, clock, publisher), opens one unit of work,
reads and writes through the store, appends the events it caused to the hall's event log
inside the same transaction, commits once, and only then publishes.
"""
