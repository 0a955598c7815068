"""The realtime shelf: domain events → the event log (per-hall ``seq``) → Socket.IO rooms.
``events.py`` is the one place that emits; ``live.py`` the ``/hall`` namespace; ``fanout.py``,
``frames.py`` and ``websocket.py`` the fast path to many screens; ``serve.py`` the server."""
