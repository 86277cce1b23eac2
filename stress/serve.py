"""`python -m stress.serve [--port N] [--examples A,B]`: a server of its own.

The gallery (or only the examples named, each at /<folder>) served as
`make run` serves it:
Werkzeug's threaded server, a private Redis for the examples that use one,
a fresh secret. Every example's data goes to a temporary folder
(`--instance-root` names it), so the checks' requests never reach the
examples' own instance folders. A process of its own, so that its memory
can be read and its work runs beside the clients', not under their GIL.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import secrets
import signal
import sys
from pathlib import Path

from werkzeug.exceptions import NotFound
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.serving import make_server

from cookbook import catalogue
from cookbook import services
from cookbook.gallery import create_gallery

from . import environment
from . import instance_folders
from . import private_instance_folders


def mount(folders: list[str]) -> DispatcherMiddleware:
    """The examples, each built as deployed (FLASK_SECRET_KEY), at /<folder>."""
    return DispatcherMiddleware(
        NotFound(),
        {f"/{f}": catalogue.load_app(catalogue.Example(f).module) for f in folders},
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stress.serve")
    parser.add_argument("--port", type=int, default=0, help="0: any free port")
    parser.add_argument("--examples", help="serve only these, each at /<folder>")
    parser.add_argument("--instance-root", type=Path, help="where apps keep data")
    args = parser.parse_args(argv)
    # SIGTERM unwinds the `with` blocks: Redis stops, the folders go.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    # Errors only: a line per request would cost more than the request.
    werkzeug_log = logging.getLogger("werkzeug")
    werkzeug_log.setLevel(logging.WARNING)
    werkzeug_log.addHandler(logging.StreamHandler())
    secret = os.environ.get("FLASK_SECRET_KEY") or secrets.token_hex()
    with contextlib.ExitStack() as stack:
        if args.instance_root:
            stack.enter_context(instance_folders(args.instance_root))
        else:
            stack.enter_context(private_instance_folders())
        stack.enter_context(environment(FLASK_SECRET_KEY=secret))
        redis_server = stack.enter_context(services.RedisServer())
        os.environ["REDIS_URL"] = redis_server.url(0)
        app = mount(args.examples.split(",")) if args.examples else create_gallery()
        server = make_server("127.0.0.1", args.port, app, threaded=True)
        # The port it got, for whoever started it (see stress/servers.py).
        print(f"Listening at: http://127.0.0.1:{server.server_port}", flush=True)
        try:
            server.serve_forever()
        finally:
            server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
