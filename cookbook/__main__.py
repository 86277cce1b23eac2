"""`python -m cookbook run`: the gallery with everything it needs (`make run`).

One process tree: a private Redis (unless REDIS_URL names one), a Celery
worker for each example that has a make_celery.py, and the gallery on
http://127.0.0.1:5000. Ctrl-C stops all of it.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import signal
import sys
import threading

from werkzeug.serving import run_simple

from . import catalogue
from . import services
from .gallery import create_gallery


def run(host: str, port: int) -> None:
    with contextlib.ExitStack() as stack:
        # A fresh secret for each run: the gallery is for trying things out.
        os.environ.setdefault("FLASK_SECRET_KEY", secrets.token_hex())
        examples = catalogue.discover()
        needed = {name for example in examples for name in example.services}
        if "redis" in needed and "REDIS_URL" not in os.environ:
            redis_server = stack.enter_context(services.RedisServer())
            os.environ["REDIS_URL"] = redis_server.url(0)
            print(f" * Redis on {os.environ['REDIS_URL']}", flush=True)
        # The gallery before the workers: their start would compete with its
        # imports for the CPU, and no page needs them until a task is sent.
        gallery = create_gallery()
        for example in examples:
            if "celery-worker" not in example.services:
                continue
            # A worker for each queue the example declares, as its README
            # starts them: long tasks never hold up short ones. Threads suit
            # the demo's sleep-bound tasks.
            for queue in worker_queues(example):
                worker = services.CeleryWorker(
                    "make_celery",
                    cwd=example.path,
                    broker_url=os.environ["REDIS_URL"],
                    pool="threads",
                    concurrency=8,
                    log_level="info",
                    queues=queue,
                )
                # Serve at once: tasks sent while the worker boots wait,
                # QUEUED, in Redis, and the worker takes them when it is up.
                stack.callback(worker.stop)
                worker.launch()
                what = f"examples/{example.folder}" + (f", {queue}" if queue else "")
                threading.Thread(
                    target=announce_when_ready, args=(worker, what), daemon=True
                ).start()
        print(f" * The gallery: http://{host}:{port}/", flush=True)
        run_simple(host, port, gallery, threaded=True)


def worker_queues(example: catalogue.Example) -> list[str | None]:
    """The queues the example's Celery config declares, or None: every queue."""
    celery_config = catalogue.load_app(example.module).config.get("CELERY", {})
    return [queue.name for queue in celery_config.get("task_queues", [])] or [None]


def announce_when_ready(worker: services.CeleryWorker, what: str) -> None:
    try:
        worker.wait_ready()
    except services.ServiceUnavailable as error:
        print(f"error: the Celery worker for {what}: {error}", file=sys.stderr)
    else:
        print(f" * Celery worker for {what} is ready", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cookbook")
    commands = parser.add_subparsers(dest="command", required=True)
    run_parser = commands.add_parser("run", help="serve the gallery of every example")
    run_parser.add_argument("--host", default="127.0.0.1")
    run_parser.add_argument("--port", type=int, default=5000)
    args = parser.parse_args(argv)
    # SIGTERM unwinds like Ctrl-C, so the servers started here are stopped.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    try:
        run(args.host, args.port)
    except KeyboardInterrupt:
        pass
    except services.ServiceUnavailable as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
