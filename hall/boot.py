"""Entry point of the ``hall`` command.

Commands that serve (run, demo, agent) need the async library's monkey patching before
anything else is imported, so this module imports nothing of Hall until it has decided.
"""
from __future__ import annotations

import os
import sys

SERVING = {"run", "demo", "agent"}


def main() -> None:
    if SERVING.intersection(sys.argv[1:2]) or sys.argv[1:3] == ["region", "serve"]:
        patch(os.environ.get("HALL_ASYNC_MODE", "gevent"))
    from hall.cli import cli

    cli(prog_name="hall")


def patch(mode: str) -> None:
    if mode == "gevent":
        import gevent
        from gevent import monkey

        # Each greenlet would keep a summary of the stack that spawned it (for debugging
        # tools Hall does not use): ~50 objects, ~4 KB per websocket, 3 greenlets each.
        # GEVENT_TRACK_GREENLET_TREE=1 in the environment turns it back on.
        if "GEVENT_TRACK_GREENLET_TREE" not in os.environ:
            gevent.config.track_greenlet_tree = False
        monkey.patch_all()
    elif mode == "eventlet":
        # psycopg's default C wait function blocks eventlet's hub; select() is patched
        os.environ.setdefault("PSYCOPG_WAIT_FUNC", "wait_select")
        import warnings

        # eventlet warns on import that it is deprecated: known, see DESIGN.md §4
        warnings.filterwarnings("ignore", category=DeprecationWarning, module="eventlet")
        warnings.filterwarnings("ignore", message=".*[Ee]ventlet.*")
        import eventlet

        eventlet.monkey_patch()


if __name__ == "__main__":
    main()
