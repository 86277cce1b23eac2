"""Fresh Python processes that start with Flask already imported.

The catalogue runs each example's `flask --app ...` command and each copied
package in a process of its own, 50 in all. Starting Python and importing
Flask took half of each one's CPU time: here one process imports Flask once
and forks a child for each command. The child is a new process in all else:
the command's folder, environment and arguments, its own output, and the
example imported afresh.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import subprocess
import sys
from pathlib import Path

# Run by the preloading process: one job a line on stdin, each answered with
# the exit status of the child that ran it.
SERVER = """
import json, os, sys
import flask.cli  # what every child would otherwise import itself

for line in sys.stdin:
    job = json.loads(line)
    if child := os.fork():
        _, status = os.waitpid(child, 0)
        print(os.waitstatus_to_exitcode(status), flush=True)
        continue
    written = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    for fd, path, flags in (
        (0, os.devnull, os.O_RDONLY),
        (1, job["stdout"], written),
        (2, job["stderr"], written),
    ):
        os.dup2(os.open(path, flags, 0o600), fd)
    os.chdir(job["cwd"])
    os.environ.clear()
    os.environ.update(job["env"])
    sys.argv = job["argv"]
    if job["argv"] == ["-c"]:  # python -c CODE
        exec(compile(job["code"], "<string>", "exec"), {"__name__": "__main__"})
    else:  # the flask command, with its folder first on sys.path as a script's
        sys.path[0] = os.path.dirname(job["argv"][0])
        flask.cli.main()
    break  # the child ends as Python does once its code has run
"""


class PreloadedPython:
    """Runs `python -c CODE` and the `flask` command in forked children."""

    def __init__(self, env: dict[str, str], output: Path) -> None:
        self.env, self.output = env, output
        self.process: subprocess.Popen[str] | None = None
        self.jobs = 0

    def python(
        self, code: str, *, cwd: Path, env: dict[str, str], timeout: float
    ) -> subprocess.CompletedProcess[str]:
        args = [sys.executable, "-c", code]
        return self._run(args, {"argv": ["-c"], "code": code}, cwd, env, timeout)

    def flask(
        self, *args: str, cwd: Path, env: dict[str, str], timeout: float
    ) -> subprocess.CompletedProcess[str]:
        flask = str(Path(sys.executable).parent / "flask")
        argv = [flask, *args]
        return self._run(argv, {"argv": argv}, cwd, env, timeout)

    def _run(
        self,
        args: list[str],
        job: dict[str, object],
        cwd: Path,
        env: dict[str, str],
        timeout: float,
    ) -> subprocess.CompletedProcess[str]:
        self.jobs += 1
        stdout, stderr = (
            self.output / f"{self.jobs}.out",
            self.output / f"{self.jobs}.err",
        )
        paths = {
            "cwd": str(cwd.resolve()),
            "stdout": str(stdout),
            "stderr": str(stderr),
        }
        job = {**job, **paths, "env": env}
        server = self._server()
        assert server.stdin is not None and server.stdout is not None
        server.stdin.write(json.dumps(job) + "\n")
        server.stdin.flush()
        ready, _, _ = select.select([server.stdout], [], [], timeout)
        if not ready:  # stop the child with its server; the next job starts one
            self.close()
            raise subprocess.TimeoutExpired(args, timeout)
        answer = server.stdout.readline()
        if not answer:
            self.close()
            raise RuntimeError(f"the preloaded Python ended: {args}")
        return subprocess.CompletedProcess(
            args, int(answer), stdout.read_text(), stderr.read_text()
        )

    def _server(self) -> subprocess.Popen[str]:
        if self.process is None:
            self.process = subprocess.Popen(
                [sys.executable, "-c", SERVER],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                env=self.env,
                cwd=self.output,
                text=True,
                start_new_session=True,  # a group of its own, children included
            )
        return self.process

    def close(self) -> None:
        """Stop the server and any child still running."""
        if self.process is not None:
            # Popen's exit waits for it and closes its pipes.
            with self.process, contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process = None
