"""A warm `hall` for the end-to-end tests: python -m tests.e2e.zygote <async mode>.

It does what `python -m hall.boot` does before it reads its command line (the async library's
monkey patching, then Hall's imports, ~2 s of CPU), and then forks one child per request: the
child takes the request's environment, working directory and log file and runs `hall <argv>`
exactly as hall.boot.main would. Each server the tests start is still its own process with its
own database, sockets and state; only the interpreter's start-up is shared.

Requests are JSON lines on stdin ({"argv", "env", "cwd", "log"}); each answer is a line
{"pid": …}. A test sees a child end by its pid turning into a zombie (tests/e2e/server.py);
the zombies are reaped here before each fork, and by init once this process ends. (No
SIGCHLD handler: with gevent's monkey patching it would wait for a hub that never runs here.)
"""
from __future__ import annotations

import gc
import json
import os
import signal
import sys


def warm(mode: str) -> None:
    from hall.boot import patch

    os.environ["HALL_ASYNC_MODE"] = mode
    patch(mode)
    # everything `hall run`/`hall demo`/`hall agent` imports before it serves
    # and what the first create_app of a process builds (the API's schemas, lazy imports):
    # once here, on a throwaway database, so each child's own create_app is quick
    import tempfile

    import hall.agent.config  # noqa: F401
    import hall.agent.runtime  # noqa: F401
    import hall.app  # noqa: F401
    import hall.cli  # noqa: F401
    import hall.extensions  # noqa: F401
    import hall.realtime.serve  # noqa: F401
    import hall.services.config.accounts  # noqa: F401
    import hall.services.supervision.watch  # noqa: F401
    import hall.web.context  # noqa: F401
    from hall.app import create_app

    with tempfile.TemporaryDirectory() as scratch:
        app = create_app({"DATABASE_URL": f"sqlite:///{scratch}/warm.db", "INSTANCE": scratch,
                          "SECRET_KEY": "warm-up", "ASYNC_MODE": mode})
        app.extensions["hall"].engine.dispose()
    # the ORM's mappers are configured at their first query: in a child's first request
    # or the watch's first tick (~0.07 s each), unless done once here
    from sqlalchemy.orm import configure_mappers

    configure_mappers()


def reap() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def child(request: dict) -> None:
    """In the forked child: become `hall <argv>` with the request's environment."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if os.environ["HALL_ASYNC_MODE"] == "eventlet":
        # the warm-up made an eventlet hub, whose epoll set every child would share: a new
        # one for this process (gevent's patched os.fork re-creates its own loop by itself)
        from eventlet import hubs

        hubs.use_hub()
    os.setpgrp()
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    fd = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    sys.argv = ["hall", *request["argv"]]
    code = 0
    try:
        from hall.cli import cli

        cli(args=request["argv"], prog_name="hall")
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # noqa: BLE001 - reported in the log like an uncaught error
        import traceback

        traceback.print_exc()
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def main() -> None:
    warm(sys.argv[1])
    # what the warm-up built is every child's, read-only: out of the collector's sight, as
    # hall/realtime/serve.py does before serving. Otherwise a child's first full collections
    # walk (and copy, page by page) the whole inherited heap: ~0.25 s of a child's start.
    gc.collect()
    gc.freeze()
    print(json.dumps({"ready": os.getpid()}), flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        reap()
        pid = os.fork()
        if pid == 0:
            child(request)
        print(json.dumps({"pid": pid}), flush=True)


if __name__ == "__main__":
    main()
